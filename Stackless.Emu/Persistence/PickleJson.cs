using System.Globalization;
using System.Text.Json;

namespace Stackless.Emu;

/// <summary>
/// A forward reader over part of a pickle's bytes (a <see cref="Utf8JsonReader"/>, so nothing is parsed into a
/// document), with the checks the loader needs: every read says what token it expects, and every failure is an
/// <see cref="UnpicklingException"/> naming where in the graph (<see cref="Where"/>) and at which byte it happened.
/// The reader is always ON a token: value readers consume the current value and leave the reader on its last token;
/// <see cref="NextProperty"/> and <see cref="NextInArray"/> move to the next member.
/// </summary>
internal ref struct PickleJson
{
    private readonly int _base;
    private Utf8JsonReader _reader;

    /// <summary>A reader over <paramref name="data"/> from <paramref name="offset"/> (the start of a value), positioned on its first token.</summary>
    public PickleJson(ReadOnlySpan<byte> data, int offset, int maxDepth, PickleLocation where)
    {
        _base = offset;
        Where = where;
        _reader = new Utf8JsonReader(data[offset..], isFinalBlock: true, new JsonReaderState(new JsonReaderOptions { MaxDepth = maxDepth }));
        Next();
    }

    /// <summary>Where the value being read sits in the graph (set by the caller as it walks).</summary>
    public PickleLocation Where { get; set; }

    /// <summary>The type of the current token.</summary>
    public readonly JsonTokenType TokenType => _reader.TokenType;

    /// <summary>The offset of the current token in the whole pickle.</summary>
    public readonly int Offset => _base + (int)_reader.TokenStartIndex;

    /// <summary>The offset just past the current token (after <see cref="Skip"/>: past the whole value).</summary>
    public readonly int End => _base + (int)_reader.BytesConsumed;

    /// <summary>The underlying reader, for the serializer (it must leave it on the value's last token).</summary>
    [System.Diagnostics.CodeAnalysis.UnscopedRef]
    public ref Utf8JsonReader Raw => ref _reader;

    /// <summary>Moves to the next token.</summary>
    public void Next()
    {
        bool read;
        try
        {
            read = _reader.Read();
        }
        catch (JsonException ex)
        {
            throw Error($"The pickle is not valid JSON: {ex.Message}");
        }

        if (!read)
        {
            throw Error("The pickle ends too early.");
        }
    }

    /// <summary>Requires the current token to be <paramref name="type"/>.</summary>
    public readonly void Expect(JsonTokenType type)
    {
        if (_reader.TokenType != type)
        {
            throw Error($"Expected {Describe(type)}, found {Describe(_reader.TokenType)}.");
        }
    }

    /// <summary>Moves past an object's property name onto its value; false at the end of the object (the reader is then on EndObject).</summary>
    public bool NextProperty(out string name)
    {
        Next();
        if (_reader.TokenType == JsonTokenType.EndObject)
        {
            name = string.Empty;
            return false;
        }

        name = (_reader.ValueIsEscaped ? null : PickleFormat.KnownName(_reader.ValueSpan)) ?? GetString();
        Next();
        return true;
    }

    /// <summary>Moves onto the next element of an array; false at the end of the array (the reader is then on EndArray).</summary>
    public bool NextInArray()
    {
        Next();
        return _reader.TokenType != JsonTokenType.EndArray;
    }

    /// <summary>Skips the current value (a whole object or array when on its start).</summary>
    public void Skip()
    {
        try
        {
            _reader.Skip();
        }
        catch (JsonException ex)
        {
            throw Error($"The pickle is not valid JSON: {ex.Message}");
        }
    }

    /// <summary>The current string (or null for a JSON null).</summary>
    public readonly string? ReadNullableString() => _reader.TokenType switch
    {
        JsonTokenType.String => GetString(),
        JsonTokenType.Null => null,
        _ => throw Error($"Expected a string, found {Describe(_reader.TokenType)}."),
    };

    /// <summary>The current string.</summary>
    public readonly string ReadString() => ReadNullableString() ?? throw Error("Expected a string, found null.");

    /// <summary>The current boolean.</summary>
    public readonly bool ReadBoolean() => _reader.TokenType switch
    {
        JsonTokenType.True => true,
        JsonTokenType.False => false,
        _ => throw Error($"Expected true or false, found {Describe(_reader.TokenType)}."),
    };

    /// <summary>The current number, as an <see cref="int"/>.</summary>
    public readonly int ReadInt32()
    {
        Expect(JsonTokenType.Number);
        return _reader.TryGetInt32(out var value) ? value : throw Error("Expected a 32-bit integer.");
    }

    /// <summary>The current number, as a <see cref="long"/>.</summary>
    public readonly long ReadInt64()
    {
        Expect(JsonTokenType.Number);
        return _reader.TryGetInt64(out var value) ? value : throw Error("Expected a 64-bit integer.");
    }

    /// <summary>The current number (or NaN or an infinity, written as a string), as a <see cref="double"/>.</summary>
    public readonly double ReadDouble()
    {
        if (_reader.TokenType == JsonTokenType.String)
        {
            return GetString() switch
            {
                PickleFormat.Value.NaN => double.NaN,
                PickleFormat.Value.PositiveInfinity => double.PositiveInfinity,
                PickleFormat.Value.NegativeInfinity => double.NegativeInfinity,
                _ => throw Error("Expected a number, NaN or an infinity."),
            };
        }

        Expect(JsonTokenType.Number);
        return _reader.TryGetDouble(out var value) && double.IsFinite(value) ? value : throw Error("Expected a finite number.");
    }

    /// <summary>The current number, an index below <paramref name="count"/> into a table of <paramref name="what"/>s.</summary>
    public readonly int ReadIndex(int count, string what)
    {
        var index = ReadInt32();
        return index >= 0 && index < count ? index : throw Error($"The pickle refers to {what} #{index}, which does not exist (there are {count}).");
    }

    /// <summary>The current string or property name, refusing text that is not valid UTF-8.</summary>
    private readonly string GetString()
    {
        try
        {
            return _reader.GetString()!;
        }
        catch (InvalidOperationException ex)
        {
            throw Error($"The pickle holds text that is not valid UTF-8 ({ex.Message}).");
        }
    }

    /// <summary>An <see cref="UnpicklingException"/> for the current position.</summary>
    public readonly UnpicklingException Error(string message) =>
        new($"{message} (at {Where}, byte {Offset.ToString(CultureInfo.InvariantCulture)})");

    /// <summary>The error for a property the format does not have.</summary>
    public readonly UnpicklingException UnknownProperty(string name) => Error($"Unexpected property \"{Trim(name)}\".");

    /// <summary>The error for a property given twice.</summary>
    public readonly UnpicklingException Duplicate(string name) => Error($"The property \"{Trim(name)}\" appears twice.");

    /// <summary>Keeps <paramref name="value"/> in <paramref name="slot"/>, refusing a second value for property <paramref name="name"/>.</summary>
    public readonly void Once<T>(ref T? slot, T value, string name)
        where T : class
    {
        if (slot is not null)
        {
            throw Duplicate(name);
        }

        slot = value;
    }

    /// <summary>Keeps <paramref name="value"/> in <paramref name="slot"/>, refusing a second value for property <paramref name="name"/>.</summary>
    public readonly void OnceValue<T>(ref T? slot, T value, string name)
        where T : struct
    {
        if (slot is not null)
        {
            throw Duplicate(name);
        }

        slot = value;
    }

    private static string Trim(string text) => text.Length <= 80 ? text : text[..80] + "...";

    private static string Describe(JsonTokenType type) => type switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.EndObject => "the end of an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.EndArray => "the end of an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        JsonTokenType.PropertyName => "a property name",
        _ => type.ToString(),
    };
}
