namespace Stackless.Emu;

/// <summary>
/// The names of the pickle format (JSON). A pickle is one object:
/// <c>{ "format", "version", "roots": [{"tasklet": id} | {"channel": id}], "tasklets": [...], "channels": [...],
/// "objects": [...], "types": [...], "assemblies": [...] }</c>.
/// A tasklet holds its state, flags, tempval, and its frames outermost first; a frame is its state machine type (an index
/// into "types", which records the field layout hash) and its fields by name. A value is JSON as the serializer writes
/// it, or one of the references below. Awaiter fields hold tokens, never awaiters.
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

    /// <summary>The version of the format written.</summary>
    public const int Version = 1;

    /// <summary>A reference to a tasklet of the pickle: <c>{"$tasklet": id}</c>.</summary>
    public const string TaskletRef = "$tasklet";

    /// <summary>A reference to a channel of the pickle: <c>{"$channel": id}</c>.</summary>
    public const string ChannelRef = "$channel";

    /// <summary>A reference to an entry of the object table (shared objects stay shared): <c>{"$ref": id}</c>.</summary>
    public const string ObjectRef = "$ref";

    /// <summary>An exception, rebuilt from its type and message: <c>{"$exception": {"t": type, "m": message}}</c>.</summary>
    public const string ExceptionRef = "$exception";

    /// <summary>A value whose runtime type differs from the declared type: <c>{"$type": type, "d": value}</c>.</summary>
    public const string TypedValue = "$type";

    /// <summary>A compiler-generated struct saved field by field: <c>{"$fields": type, "f": {...}}</c>.</summary>
    public const string FieldsValue = "$fields";

    /// <summary>An awaiter field's token: <c>{"$await": "frame"}</c> or <c>{"$await": "operation"}</c>.</summary>
    public const string Await = "$await";

    /// <summary>The awaiter waits for the next frame of the chain.</summary>
    public const string AwaitFrame = "frame";

    /// <summary>The awaiter is the tasklet's pending library operation (receive, send, schedule, switch, ...).</summary>
    public const string AwaitLibrary = "operation";
}
