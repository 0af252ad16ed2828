namespace Stackless.Emu;

/// <summary>
/// The names of the pickle format (JSON), shared by <see cref="PickleWriter"/> and <see cref="PickleReader"/>. A pickle
/// is one object: <c>{"format", "version", "body": {...}, "signature"?}</c>. The body holds, in this order, the
/// <c>assemblies</c> and <c>types</c> tables, the <c>channels</c>, the <c>tasklets</c> (with their frames, outermost
/// first), the <c>objects</c> table and the <c>roots</c>. Every reference is an index into one of these arrays, and an
/// entry of the types table refers only to entries before it. See docs/persistence.md for the whole grammar.
/// </summary>
internal static class PickleFormat
{
    /// <summary>The writer options: compiler names such as <c>&lt;&gt;1__state</c> stay readable (no HTML escaping).</summary>
    public static readonly System.Text.Json.JsonWriterOptions WriterOptions = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    /// <summary>The value of the "format" property.</summary>
    public const string Name = "Stackless.Emu.Pickle";

    /// <summary>The version of the format written and read (1: the first format; 2: signed envelope, hardened tables).</summary>
    public const int Version = 2;

    /// <summary>The text the signature's HMAC covers before the body's bytes: binds the signature to format and version.</summary>
    public const string SignaturePrefix = "Stackless.Emu.Pickle/2\n";

    /// <summary>The prefix of the "signature" value; the base64 HMAC-SHA256 of the body follows it.</summary>
    public const string SignatureAlgorithm = "HMAC-SHA256:";

    /// <summary>Every key above as UTF-8, to read property names without allocating a string for each.</summary>
    private static readonly (byte[] Utf8, string Name)[] Keys = typeof(PickleFormat)
        .GetNestedTypes()
        .SelectMany(t => t.GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static))
        .Where(f => f.IsLiteral && f.FieldType == typeof(string))
        .Select(f => (string)f.GetRawConstantValue()!)
        .Distinct()
        .Select(name => (System.Text.Encoding.UTF8.GetBytes(name), name))
        .ToArray();

    /// <summary>The key spelled <paramref name="utf8"/>, or null when it is not one of the format's.</summary>
    public static string? KnownName(ReadOnlySpan<byte> utf8)
    {
        foreach (var (bytes, name) in Keys)
        {
            if (utf8.SequenceEqual(bytes))
            {
                return name;
            }
        }

        return null;
    }

    /// <summary>Keys of the envelope.</summary>
    public static class Envelope
    {
        /// <summary>The format name.</summary>
        public const string Format = "format";

        /// <summary>The format version.</summary>
        public const string Version = "version";

        /// <summary>The body (everything the signature covers).</summary>
        public const string Body = "body";

        /// <summary>The signature (present when the writer had a signing key).</summary>
        public const string Signature = "signature";
    }

    /// <summary>Keys of the body.</summary>
    public static class Body
    {
        /// <summary>The assembly table: <c>[{"name", "identity", "mvid"}]</c>.</summary>
        public const string Assemblies = "assemblies";

        /// <summary>The type table (see <see cref="TypeEntry"/>).</summary>
        public const string Types = "types";

        /// <summary>The channels (see <see cref="Channel"/>).</summary>
        public const string Channels = "channels";

        /// <summary>The tasklets (see <see cref="Tasklet"/>).</summary>
        public const string Tasklets = "tasklets";

        /// <summary>The object table (see <see cref="ObjectEntry"/>).</summary>
        public const string Objects = "objects";

        /// <summary>The roots, in the order given to Dump: <c>[{"tasklet": id} | {"channel": id}]</c>.</summary>
        public const string Roots = "roots";
    }

    /// <summary>Keys of an entry of the roots.</summary>
    public static class Root
    {
        /// <summary>A root tasklet: <c>{"tasklet": id}</c>.</summary>
        public const string Tasklet = "tasklet";

        /// <summary>A root channel: <c>{"channel": id}</c>.</summary>
        public const string Channel = "channel";
    }

    /// <summary>Keys of an entry of the assembly table.</summary>
    public static class AssemblyEntry
    {
        /// <summary>The simple name, matched against the allowed assemblies.</summary>
        public const string Name = "name";

        /// <summary>The full identity, for messages.</summary>
        public const string Identity = "identity";

        /// <summary>The module version id of the build.</summary>
        public const string Mvid = "mvid";
    }

    /// <summary>Keys of an entry of the type table.</summary>
    public static class TypeEntry
    {
        /// <summary>A named type: its assembly (an index into the assembly table).</summary>
        public const string Assembly = "a";

        /// <summary>A named type: its full name (<c>Namespace.Outer+Inner</c>; a generic definition ends in <c>`n</c>).</summary>
        public const string Name = "n";

        /// <summary>A generic instantiation: the type arguments (indexes of earlier entries).</summary>
        public const string Arguments = "g";

        /// <summary>An array: its element type (an index of an earlier entry).</summary>
        public const string Element = "e";

        /// <summary>An array: its rank.</summary>
        public const string Rank = "r";

        /// <summary>The hash of the field layout of a type whose fields the pickle holds (required for every such type).</summary>
        public const string Layout = "l";
    }

    /// <summary>Keys of a channel.</summary>
    public static class Channel
    {
        /// <summary>The channel's index in the channels array.</summary>
        public const string Id = "id";

        /// <summary>Its type (an index into the type table).</summary>
        public const string Type = "type";

        /// <summary>Its diagnostic name.</summary>
        public const string Name = "name";

        /// <summary>Its preference (-1, 0, 1).</summary>
        public const string Preference = "preference";

        /// <summary>Its schedule_all flag.</summary>
        public const string ScheduleAll = "scheduleAll";

        /// <summary>Whether it was closing.</summary>
        public const string Closing = "closing";

        /// <summary>The waiting tasklets, first first (tasklet ids).</summary>
        public const string Queue = "queue";
    }

    /// <summary>Keys of a tasklet.</summary>
    public static class Tasklet
    {
        /// <summary>The tasklet's index in the tasklets array.</summary>
        public const string Id = "id";

        /// <summary>Its name.</summary>
        public const string Name = "name";

        /// <summary>Where it was: <see cref="Runnable"/>, <see cref="Paused"/> or <see cref="Blocked"/>.</summary>
        public const string State = "state";

        /// <summary>In the runnable queue.</summary>
        public const string Runnable = "runnable";

        /// <summary>In no queue.</summary>
        public const string Paused = "paused";

        /// <summary>Waiting in a channel.</summary>
        public const string Blocked = "blocked";

        /// <summary>Alive (set up, or started and not finished).</summary>
        public const string Alive = "alive";

        /// <summary>Its body has begun to run.</summary>
        public const string Started = "started";

        /// <summary>Its position in the runnable queue when pickled.</summary>
        public const string Order = "order";

        /// <summary>Its atomic flag.</summary>
        public const string Atomic = "atomic";

        /// <summary>Its block_trap flag.</summary>
        public const string BlockTrap = "blockTrap";

        /// <summary>Its ignore_nesting flag.</summary>
        public const string IgnoreNesting = "ignoreNesting";

        /// <summary>Its tempval.</summary>
        public const string TempVal = "tempVal";

        /// <summary>Its <see cref="Emu.Tasklet.Items"/>: an object of values by key.</summary>
        public const string Items = "items";

        /// <summary>The body delegate of a tasklet that has not started and has no root frame.</summary>
        public const string Body = "body";

        /// <summary>Its frames, outermost first (see <see cref="Frame"/>).</summary>
        public const string Frames = "frames";

        /// <summary>The channel it waits in (a channel id).</summary>
        public const string Channel = "channel";

        /// <summary>1 waiting to send, -1 waiting to receive.</summary>
        public const string Direction = "direction";

        /// <summary>The value a blocked sender sends, or a woken receiver has received but not taken.</summary>
        public const string Slot = "slot";
    }

    /// <summary>Keys of a frame.</summary>
    public static class Frame
    {
        /// <summary>The state machine type (an index into the type table; the entry carries its layout hash).</summary>
        public const string StateMachine = "sm";

        /// <summary>The state machine's fields by name (the builder is not saved: it is rebuilt).</summary>
        public const string Fields = "fields";
    }

    /// <summary>
    /// The kinds of entry of the object table: the first key of an entry names its kind and holds its type (an index into
    /// the type table).
    /// </summary>
    public static class ObjectEntry
    {
        /// <summary>An object saved field by field: <c>{"fields": t, "f": {name: value}}</c>.</summary>
        public const string Fields = "fields";

        /// <summary>The fields of a by-fields object or struct.</summary>
        public const string FieldValues = "f";

        /// <summary>A value saved by the serializer: <c>{"value": t, "d": json}</c>.</summary>
        public const string Value = "value";

        /// <summary>The serializer's JSON of a value.</summary>
        public const string Data = "d";

        /// <summary>A list, queue, stack (bottom first), linked list or array: <c>{"list": t, "items": [...]}</c>.</summary>
        public const string List = "list";

        /// <summary>A hash set or sorted set: <c>{"set": t, "items": [...], "comparer"?: value}</c>.</summary>
        public const string Set = "set";

        /// <summary>A dictionary, sorted dictionary or sorted list: <c>{"map": t, "entries": [[key, value], ...], "comparer"?: value}</c>.</summary>
        public const string Map = "map";

        /// <summary>The elements of a list or set.</summary>
        public const string Items = "items";

        /// <summary>The entries of a map.</summary>
        public const string Entries = "entries";

        /// <summary>A collection's comparer, when it is not the default one.</summary>
        public const string Comparer = "comparer";

        /// <summary>The keys or values view of a dictionary: <c>{"view": t, "of": {"$ref": dictionary}}</c>.</summary>
        public const string View = "view";

        /// <summary>The dictionary a view shows.</summary>
        public const string Of = "of";

        /// <summary>A delegate: <c>{"delegate": t, "declaring": t, "method", "signature", "target"}</c>.</summary>
        public const string Delegate = "delegate";

        /// <summary>The type declaring a delegate's method.</summary>
        public const string Declaring = "declaring";

        /// <summary>The name of a delegate's method.</summary>
        public const string Method = "method";

        /// <summary>The parameter and return types of a delegate's method, to tell overloads apart.</summary>
        public const string Signature = "signature";

        /// <summary>The target of a delegate (null for a static method).</summary>
        public const string Target = "target";
    }

    /// <summary>
    /// Values that are not plain JSON: an object whose single first key starts with <c>$</c>. Any other JSON is the
    /// value of the declared type (primitives and strings written directly, the rest by the serializer).
    /// </summary>
    public static class Value
    {
        /// <summary>A reference to a tasklet of the pickle: <c>{"$tasklet": id}</c>.</summary>
        public const string Tasklet = "$tasklet";

        /// <summary>A reference to a channel of the pickle: <c>{"$channel": id}</c>.</summary>
        public const string Channel = "$channel";

        /// <summary>A reference to an entry of the object table (shared objects stay shared): <c>{"$ref": id}</c>.</summary>
        public const string Ref = "$ref";

        /// <summary>An exception, rebuilt from its type and message: <c>{"$exception": t, "m": message}</c>.</summary>
        public const string Exception = "$exception";

        /// <summary>The message of an exception.</summary>
        public const string Message = "m";

        /// <summary>A value whose runtime type differs from the declared type: <c>{"$type": t, "d": value}</c>.</summary>
        public const string Typed = "$type";

        /// <summary>A compiler-generated or [PickleByFields] struct saved inline: <c>{"$fields": t, "f": {...}}</c>.</summary>
        public const string Fields = "$fields";

        /// <summary>A tuple or key/value pair: <c>{"$tuple": t, "items": [...]}</c>.</summary>
        public const string Tuple = "$tuple";

        /// <summary>
        /// An enumerator of a collection, saved as its collection and how far it got:
        /// <c>{"$enumerator": t, "of": value, "moved": n, "ended": bool}</c>.
        /// </summary>
        public const string Enumerator = "$enumerator";

        /// <summary>The elements of a tuple.</summary>
        public const string Items = "items";

        /// <summary>The collection an enumerator walks.</summary>
        public const string Of = "of";

        /// <summary>The number of successful MoveNext calls of an enumerator.</summary>
        public const string Moved = "moved";

        /// <summary>Whether an enumerator ran past its last element.</summary>
        public const string Ended = "ended";

        /// <summary>One of the string comparers of the BCL: <c>{"$comparer": "Ordinal"}</c>.</summary>
        public const string Comparer = "$comparer";

        /// <summary>A double that JSON cannot write as a number (NaN, infinities), as a string.</summary>
        public const string NaN = "NaN";

        /// <summary>Positive infinity as a string.</summary>
        public const string PositiveInfinity = "Infinity";

        /// <summary>Negative infinity as a string.</summary>
        public const string NegativeInfinity = "-Infinity";
    }

    /// <summary>Keys of the token that stands for an awaiter field of a frame.</summary>
    public static class Await
    {
        /// <summary>The awaiter field's token: <c>{"$await": "frame"}</c> or <c>{"$await": "operation"}</c>.</summary>
        public const string Key = "$await";

        /// <summary>The awaiter waits for the next frame of the chain.</summary>
        public const string Frame = "frame";

        /// <summary>The awaiter is the tasklet's pending library operation (receive, send, schedule, switch, ...).</summary>
        public const string Operation = "operation";
    }
}
