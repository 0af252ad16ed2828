using System.Text.Json;

namespace Stackless.Emu;

/// <summary>
/// Saves and restores the plain values of a pickled tasklet's locals and parameters (enums, records, user classes and
/// structs, decimals, dates, ...). The pickler itself handles primitives and strings, channels, tasklets, frames,
/// closures, iterators, <c>this</c>, delegates, exceptions, tuples and the BCL's collections (so their elements may be
/// channels or [PickleByFields] objects); everything else goes through this interface. The default is
/// <see cref="JsonPickleSerializer"/>. The serializer is only ever asked for types of allowed assemblies and harmless
/// BCL value types, never for types of Stackless.Emu itself.
/// </summary>
public interface IPickleSerializer
{
    /// <summary>Writes <paramref name="value"/>, whose runtime type is <paramref name="type"/>, as one JSON value.</summary>
    void Serialize(Utf8JsonWriter writer, object value, Type type);

    /// <summary>
    /// Reads a value of <paramref name="type"/> written by <see cref="Serialize"/>. <paramref name="reader"/> is on the
    /// value's first token; leave it on the value's last token (as <see cref="JsonSerializer.Deserialize(ref Utf8JsonReader, Type, JsonSerializerOptions?)"/> does).
    /// </summary>
    object? Deserialize(ref Utf8JsonReader reader, Type type);
}

/// <summary>The default <see cref="IPickleSerializer"/>: System.Text.Json, with public fields included.</summary>
public sealed class JsonPickleSerializer : IPickleSerializer
{
    /// <summary>Creates the serializer with <paramref name="options"/>, or with the defaults (fields included).</summary>
    public JsonPickleSerializer(JsonSerializerOptions? options = null) =>
        Options = options ?? new JsonSerializerOptions { IncludeFields = true };

    /// <summary>The options; add converters here (<see cref="JsonSerializerOptions.Converters"/>) before the first use.</summary>
    public JsonSerializerOptions Options { get; }

    /// <inheritdoc/>
    public void Serialize(Utf8JsonWriter writer, object value, Type type) => JsonSerializer.Serialize(writer, value, type, Options);

    /// <inheritdoc/>
    public object? Deserialize(ref Utf8JsonReader reader, Type type) => JsonSerializer.Deserialize(ref reader, type, Options);
}
