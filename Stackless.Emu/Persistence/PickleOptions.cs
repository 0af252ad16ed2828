using System.Reflection;
using System.Text.Json.Serialization;

namespace Stackless.Emu;

/// <summary>
/// How tasklets are pickled and loaded: the assemblies whose types a pickle may instantiate (an allow-list, required to
/// load), the serializer of plain values, how strictly a pickle must match the running build, the key that signs and
/// verifies pickles, and the limits a loaded pickle must stay within.
/// </summary>
/// <remarks>Thread safety: configure an instance on one thread before its first use; picklers on any thread may then share it, reading it on every dump and load, as long as nothing changes it meanwhile.</remarks>
public sealed class PickleOptions
{
    /// <summary>The shortest accepted <see cref="SigningKey"/>, in bytes.</summary>
    public const int MinimumSigningKeyLength = 16;

    private readonly HashSet<Assembly> _allowed = [typeof(Tasklet).Assembly];
    private byte[]? _signingKey;
    private long _maxPickleBytes = 256L * 1024 * 1024;
    private int _maxNestingDepth = 64;
    private int _maxTypes = 10_000;
    private int _maxItems = 4_000_000;

    /// <summary>The serializer of plain values (default: <see cref="JsonPickleSerializer"/>).</summary>
    public IPickleSerializer Serializer { get; set; } = new JsonPickleSerializer();

    /// <summary>
    /// False (default): a pickle loads only into the very build that wrote it (same module version id of every
    /// assembly whose frames or objects it holds) as well as the same state machine layouts. True: a different build is
    /// accepted when every state machine layout is identical (field names and types); the await points must then mean
    /// the same, which the pickle cannot check.
    /// </summary>
    public bool AllowOtherBuilds { get; set; }

    /// <summary>
    /// The key of signed pickles (HMAC-SHA256, at least <see cref="MinimumSigningKeyLength"/> bytes; 32 random bytes
    /// recommended), or null (default: unsigned). With a key, <c>Dump</c> signs the pickle and <c>Load</c> refuses a
    /// pickle that is unsigned, signed with another key, or changed in any byte, before it looks at its content. Set it
    /// wherever a pickle crosses a trust boundary (a file others can write, the network, a cluster's storage): the
    /// allow-list limits which code a pickle can reach, but only the signature proves who wrote the state it carries.
    /// </summary>
    /// <exception cref="ArgumentException">The key is shorter than <see cref="MinimumSigningKeyLength"/> bytes.</exception>
    public byte[]? SigningKey
    {
        get => _signingKey is null ? null : (byte[])_signingKey.Clone();
        set
        {
            if (value is not null && value.Length < MinimumSigningKeyLength)
            {
                throw new ArgumentException($"A signing key needs at least {MinimumSigningKeyLength} bytes (32 random bytes recommended, e.g. RandomNumberGenerator.GetBytes(32)).", nameof(value));
            }

            _signingKey = value is null ? null : (byte[])value.Clone();
        }
    }

    /// <summary>The largest pickle <c>Load</c> reads, in bytes (default 256 MiB); a larger one is refused before it is parsed.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive.</exception>
    public long MaxPickleBytes
    {
        get => _maxPickleBytes;
        set => _maxPickleBytes = Positive(value);
    }

    /// <summary>
    /// The deepest nesting <c>Load</c> accepts (default 64): of JSON values inside a frame field (structs, tuples, boxed
    /// values) and of type names (generic arguments, array elements). <c>Dump</c> refuses values nested deeper.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not between 1 and 1,000.</exception>
    public int MaxNestingDepth
    {
        get => _maxNestingDepth;
        set => _maxNestingDepth = value is >= 1 and <= 1_000 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Between 1 and 1,000.");
    }

    /// <summary>The most entries of the type table <c>Load</c> accepts (default 10,000).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive.</exception>
    public int MaxTypes
    {
        get => _maxTypes;
        set => _maxTypes = (int)Positive(value);
    }

    /// <summary>
    /// The most items <c>Load</c> creates (default 4,000,000): tasklets, channels, frames, entries of the object table,
    /// and elements of collections and tuples, together. With <see cref="MaxPickleBytes"/> it bounds the memory a pickle
    /// can make the loader use; raise both to load, e.g., a million-frame-deep tasklet.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive.</exception>
    public int MaxItems
    {
        get => _maxItems;
        set => _maxItems = (int)Positive(value);
    }

    /// <summary>The assemblies allowed so far (the library's own is always allowed).</summary>
    public IReadOnlyCollection<Assembly> AllowedAssemblies => _allowed;

    /// <summary>
    /// Allows loading state machines, closures, iterators, <c>[PickleByFields]</c> objects, delegates and values whose
    /// types are defined in <paramref name="assembly"/>. Nothing else outside a fixed list of harmless BCL types is ever
    /// instantiated.
    /// </summary>
    public PickleOptions Allow(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        _allowed.Add(assembly);
        return this;
    }

    /// <summary>Allows the assembly that defines <paramref name="type"/> (see <see cref="Allow(Assembly)"/>).</summary>
    public PickleOptions AllowAssemblyOf(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        return Allow(type.Assembly);
    }

    /// <summary>Allows the assembly that defines <typeparamref name="T"/>.</summary>
    public PickleOptions AllowAssemblyOf<T>() => Allow(typeof(T).Assembly);

    /// <summary>Registers a System.Text.Json converter with the default serializer.</summary>
    /// <exception cref="InvalidOperationException"><see cref="Serializer"/> is not a <see cref="JsonPickleSerializer"/>.</exception>
    public PickleOptions AddConverter(JsonConverter converter)
    {
        ArgumentNullException.ThrowIfNull(converter);
        if (Serializer is not JsonPickleSerializer json)
        {
            throw new InvalidOperationException("AddConverter works with the default JsonPickleSerializer; register converters with your own serializer.");
        }

        json.Options.Converters.Add(converter);
        return this;
    }

    /// <summary>Whether <paramref name="assembly"/> is allowed.</summary>
    internal bool IsAllowed(Assembly assembly) => _allowed.Contains(assembly);

    /// <summary>The key, without a defensive copy (for the pickler).</summary>
    internal byte[]? Key => _signingKey;

    /// <summary>The allowed assembly with simple name <paramref name="name"/>, or null.</summary>
    internal Assembly? FindAllowed(string name)
    {
        var byName = _allowedByName;
        if (byName is null || byName.Count != _allowed.Count)
        {
            byName = new Dictionary<string, Assembly>(StringComparer.Ordinal);
            foreach (var assembly in _allowed)
            {
                byName.TryAdd(assembly.GetName().Name ?? string.Empty, assembly);
            }

            _allowedByName = byName;
        }

        return byName.GetValueOrDefault(name);
    }

    /// <summary>The allowed assemblies by simple name, rebuilt when one is added.</summary>
    private Dictionary<string, Assembly>? _allowedByName;

    private static long Positive(long value) =>
        value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "The limit must be positive.");
}
