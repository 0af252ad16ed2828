using System.Text.Json;

namespace Stackless.Emu;

/// <summary>
/// Saves and restores the plain values of a pickled tasklet's locals and parameters (primitives, strings, collections,
/// records, user classes). The pickler itself handles channels, tasklets, frames, closures, <c>this</c>, delegates and
/// exceptions; everything else goes through this interface. The default is <see cref="JsonPickleSerializer"/>.
/// </summary>
public interface IPickleSerializer
{
    /// <summary>Writes <paramref name="value"/>, whose runtime type is <paramref name="type"/>, as one JSON value.</summary>
    void Serialize(Utf8JsonWriter writer, object value, Type type);

    /// <summary>Reads a value of <paramref name="type"/> written by <see cref="Serialize"/>.</summary>
    object? Deserialize(JsonElement element, Type type);
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
    public object? Deserialize(JsonElement element, Type type) => element.Deserialize(type, Options);
}
