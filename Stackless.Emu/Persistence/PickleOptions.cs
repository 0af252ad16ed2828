using System.Reflection;
using System.Text.Json.Serialization;

namespace Stackless.Emu;

/// <summary>
/// How tasklets are pickled and loaded: the assemblies whose types a pickle may instantiate (an allow-list, required to
/// load), the serializer of plain values, and how strictly a pickle must match the running build.
/// </summary>
public sealed class PickleOptions
{
    private readonly HashSet<Assembly> _allowed = [typeof(Tasklet).Assembly];

    /// <summary>The serializer of plain values (default: <see cref="JsonPickleSerializer"/>).</summary>
    public IPickleSerializer Serializer { get; set; } = new JsonPickleSerializer();

    /// <summary>
    /// False (default): a pickle loads only into the very build that wrote it (same module version id of every
    /// assembly whose frames or objects it holds) as well as the same state machine layouts. True: a different build is
    /// accepted when every state machine layout is identical (field names and types); the await points must then mean
    /// the same, which the pickle cannot check.
    /// </summary>
    public bool AllowOtherBuilds { get; set; }

    /// <summary>The assemblies allowed so far (the library's own is always allowed).</summary>
    public IReadOnlyCollection<Assembly> AllowedAssemblies => _allowed;

    /// <summary>
    /// Allows loading state machines, closures, <c>this</c> objects, delegates and values whose types are defined in
    /// <paramref name="assembly"/>. Nothing else outside a fixed list of harmless BCL types is ever instantiated.
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

    /// <summary>The allowed assembly with simple name <paramref name="name"/>, or null.</summary>
    internal Assembly? FindAllowed(string name)
    {
        foreach (var assembly in _allowed)
        {
            if (assembly.GetName().Name == name)
            {
                return assembly;
            }
        }

        return null;
    }
}
