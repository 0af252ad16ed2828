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
/// <remarks>Thread safety: a pickler calls its serializer on the thread that dumps or loads; one serializer used by picklers on several threads at once must allow concurrent calls.</remarks>
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

/// <summary>
/// The default <see cref="IPickleSerializer"/>: System.Text.Json, with public fields included. A tasklet or channel met
/// inside a value it saves is refused with advice (it would otherwise try to enumerate the channel): such values belong
/// in a [PickleByFields] class, whose fields the pickler saves itself.
/// </summary>
/// <remarks>Thread safety: any thread, concurrently, once <see cref="Options"/> is no longer changed (as <see cref="System.Text.Json.JsonSerializer"/> with one options instance).</remarks>
public sealed class JsonPickleSerializer : IPickleSerializer
{
    /// <summary>Creates the serializer with <paramref name="options"/>, or with the defaults (fields included).</summary>
    public JsonPickleSerializer(JsonSerializerOptions? options = null)
    {
        Options = options ?? new JsonSerializerOptions { IncludeFields = true };
        if (!Options.IsReadOnly)
        {
            Options.Converters.Insert(0, new LibraryTypeRefusal());
        }
    }

    /// <summary>The options; add converters here (<see cref="JsonSerializerOptions.Converters"/>) before the first use.</summary>
    public JsonSerializerOptions Options { get; }

    /// <inheritdoc/>
    public void Serialize(Utf8JsonWriter writer, object value, Type type) => JsonSerializer.Serialize(writer, value, type, Options);

    /// <inheritdoc/>
    public object? Deserialize(ref Utf8JsonReader reader, Type type) => JsonSerializer.Deserialize(ref reader, type, Options);
}

/// <summary>Refuses tasklets and channels inside values the serializer saves, with advice.</summary>
internal sealed class LibraryTypeRefusal : System.Text.Json.Serialization.JsonConverterFactory
{
    /// <inheritdoc/>
    public override bool CanConvert(Type typeToConvert) => typeToConvert == typeof(Tasklet) || typeof(IChannel).IsAssignableFrom(typeToConvert);

    /// <inheritdoc/>
    public override System.Text.Json.Serialization.JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (System.Text.Json.Serialization.JsonConverter)Activator.CreateInstance(typeof(Refusal<>).MakeGenericType(typeToConvert))!;

    private sealed class Refusal<T> : System.Text.Json.Serialization.JsonConverter<T>
    {
        private static readonly string Message =
            $"A {typeof(T).Name} inside a value saved by the serializer cannot be pickled there: mark the class that holds it [PickleByFields], so the pickler saves its fields itself (channels and tasklets then keep their identity).";

        public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => throw new NotSupportedException(Message);

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) => throw new NotSupportedException(Message);
    }
}
