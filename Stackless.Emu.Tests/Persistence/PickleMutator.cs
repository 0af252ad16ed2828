using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Stackless.Emu.Tests.Persistence;

/// <summary>
/// Mutates valid pickles the way a careless disk or a hostile peer would: flipped bits, overwritten and inserted bytes,
/// truncations, spliced runs of another pickle, numbers made huge, and structural edits of the JSON (deleted, duplicated
/// and swapped entries, renamed keys, values replaced by other types, by indexes near the ends of the tables, by
/// references to themselves, or by deep nesting). Deterministic for a given <see cref="Random"/>.
/// </summary>
internal sealed class PickleMutator
{
    private static readonly string[] Structural = ["{", "}", "[", "]", "\"", ",", ":", "0", "9", "-", "e", "n", " ", "\\", "$"];

    private static readonly string[] Numbers =
    [
        "0", "-1", "1", "2", "7", "31", "32", "33", "64", "65", "1000", "100000", "2147483647", "2147483648", "-2147483648",
        "4294967295", "9223372036854775807", "9223372036854775808", "18446744073709551616", "1e308", "1e400", "-1e400", "0.5",
        "-0", "1E2", "123456789012345678901234567890",
    ];

    private readonly Random _random;
    private readonly IReadOnlyList<byte[]> _seeds;

    public PickleMutator(Random random, IReadOnlyList<byte[]> seeds)
    {
        _random = random;
        _seeds = seeds;
    }

    /// <summary>The names of the mutations, for the statistics.</summary>
    public static readonly string[] Kinds =
    [
        "bit flips", "byte overwrite", "byte insert/delete", "truncation", "splice", "huge number", "delete entry",
        "duplicate entry", "swap values", "rename key", "retype value", "boundary index", "self reference", "deep nesting",
        "copy subtree", "reorder keys",
    ];

    /// <summary>A mutation of <paramref name="seed"/>; <paramref name="kind"/> names it (an index into <see cref="Kinds"/>).</summary>
    public byte[] Mutate(byte[] seed, out int kind)
    {
        kind = _random.Next(Kinds.Length);
        if (seed.Length == 0)
        {
            return [(byte)Structural[_random.Next(Structural.Length)][0]]; // a stacked truncation left nothing
        }

        var result = kind switch
        {
            0 => FlipBits(seed),
            1 => Overwrite(seed),
            2 => InsertOrDelete(seed),
            3 => seed[.._random.Next(seed.Length)],
            4 => Splice(seed),
            5 => ReplaceNumber(seed, _ => Numbers[_random.Next(Numbers.Length)]),
            13 => ReplaceNumber(seed, Nest),
            _ => StructuralEditOrFlip(seed, kind),
        };

        // Stack a second mutation now and then: single edits rarely get past the first check they break.
        return _random.Next(4) == 0 ? Mutate(result, out _) : result;
    }

    private byte[] FlipBits(byte[] seed)
    {
        var data = (byte[])seed.Clone();
        for (var i = _random.Next(1, 9); i > 0; i--)
        {
            data[_random.Next(data.Length)] ^= (byte)(1 << _random.Next(8));
        }

        return data;
    }

    private byte[] Overwrite(byte[] seed)
    {
        var data = (byte[])seed.Clone();
        var at = _random.Next(data.Length);
        data[at] = _random.Next(3) == 0 ? (byte)_random.Next(256) : (byte)Structural[_random.Next(Structural.Length)][0];
        return data;
    }

    private byte[] InsertOrDelete(byte[] seed)
    {
        var at = _random.Next(seed.Length);
        if (_random.Next(2) == 0)
        {
            var length = Math.Min(_random.Next(1, 64), seed.Length - at);
            return [.. seed[..at], .. seed[(at + length)..]];
        }

        var inserted = Encoding.UTF8.GetBytes(Structural[_random.Next(Structural.Length)]);
        return [.. seed[..at], .. inserted, .. seed[at..]];
    }

    private byte[] Splice(byte[] seed)
    {
        var other = _seeds[_random.Next(_seeds.Count)];
        var from = _random.Next(other.Length);
        var length = Math.Min(_random.Next(1, 256), other.Length - from);
        var at = _random.Next(seed.Length);
        var cut = Math.Min(_random.Next(0, 256), seed.Length - at);
        return [.. seed[..at], .. other.AsSpan(from, length), .. seed[(at + cut)..]];
    }

    /// <summary>Replaces a random number of <paramref name="seed"/> with <paramref name="replacement"/>(the number).</summary>
    private byte[] ReplaceNumber(byte[] seed, Func<string, string> replacement)
    {
        var text = Encoding.UTF8.GetString(seed);
        var starts = new List<int>();
        for (var i = 1; i < text.Length; i++)
        {
            if (char.IsAsciiDigit(text[i]) && (text[i - 1] is ':' or ',' or '['))
            {
                starts.Add(i);
            }
        }

        if (starts.Count == 0)
        {
            return FlipBits(seed);
        }

        var start = starts[_random.Next(starts.Count)];
        var end = start;
        while (end < text.Length && (char.IsAsciiDigit(text[end]) || text[end] is '.' or 'e' or 'E' or '-' or '+'))
        {
            end++;
        }

        return Encoding.UTF8.GetBytes(text[..start] + replacement(text[start..end]) + text[end..]);
    }

    /// <summary>The number wrapped in arrays or in boxed structs, a few to twenty thousand levels deep.</summary>
    private string Nest(string number)
    {
        var depth = _random.Next(2) == 0 ? _random.Next(2, 200) : _random.Next(1_000, 20_000);
        var (open, close) = _random.Next(2) == 0 ? ("[", "]") : ("{\"$fields\":0,\"f\":", "}");
        return new StringBuilder(depth * (open.Length + close.Length) + number.Length)
            .Insert(0, open, depth).Append(number).Insert(depth * open.Length + number.Length, close, depth).ToString();
    }

    private byte[] StructuralEditOrFlip(byte[] seed, int kind)
    {
        try
        {
            return StructuralEdit(seed, kind);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or JsonException)
        {
            // A stacked mutation left text JsonNode refuses once it looks inside (not UTF-8, a key given twice).
            return FlipBits(seed);
        }
    }

    private byte[] StructuralEdit(byte[] seed, int kind)
    {
        JsonNode root;
        try
        {
            root = JsonNode.Parse(seed, documentOptions: new JsonDocumentOptions { MaxDepth = 900 })!; // deeper ones (stacked nesting) cannot be written back
        }
        catch (JsonException)
        {
            return FlipBits(seed); // a stacked mutation already broke the JSON
        }

        var nodes = new List<JsonNode>();
        Collect(root, nodes);
        var target = nodes[_random.Next(nodes.Count)];
        switch (kind)
        {
            case 6:
                Delete(target);
                break;
            case 7:
                Duplicate(target);
                break;
            case 8:
                SwapValues(nodes);
                break;
            case 9:
                RenameKey(nodes);
                break;
            case 10:
                Replace(target, RandomValue());
                break;
            case 11:
                Replace(target, JsonValue.Create(_random.Next(-2, 6) + (_random.Next(2) == 0 ? 0 : CountNear(target))));
                break;
            case 12:
                Replace(target, SelfReference(target));
                break;
            case 14:
                Replace(target, nodes[_random.Next(nodes.Count)].DeepClone());
                break;
            default:
                Reorder(target);
                break;
        }

        return Encoding.UTF8.GetBytes(root.ToJsonString());
    }

    private static void Collect(JsonNode node, List<JsonNode> nodes)
    {
        nodes.Add(node);
        switch (node)
        {
            case JsonObject obj:
                foreach (var (_, child) in obj)
                {
                    if (child is not null)
                    {
                        Collect(child, nodes);
                    }
                }

                break;
            case JsonArray array:
                foreach (var child in array)
                {
                    if (child is not null)
                    {
                        Collect(child, nodes);
                    }
                }

                break;
        }
    }

    private static void Delete(JsonNode target)
    {
        switch (target.Parent)
        {
            case JsonObject obj:
                obj.Remove(target.GetPropertyName());
                break;
            case JsonArray array:
                array.Remove(target);
                break;
        }
    }

    private void Duplicate(JsonNode target)
    {
        switch (target.Parent)
        {
            case JsonArray array:
                array.Insert(_random.Next(array.Count + 1), target.DeepClone());
                break;
            case JsonObject obj:
                obj[target.GetPropertyName() + (_random.Next(2) == 0 ? string.Empty : "x")] = target.DeepClone();
                break;
        }
    }

    private void SwapValues(List<JsonNode> nodes)
    {
        var a = nodes[_random.Next(nodes.Count)];
        var b = nodes[_random.Next(nodes.Count)];
        if (a.Parent is null || b.Parent is null || a == b || IsAncestor(a, b) || IsAncestor(b, a))
        {
            return;
        }

        var copyA = a.DeepClone();
        Replace(a, b.DeepClone());
        Replace(b, copyA);
    }

    private static bool IsAncestor(JsonNode ancestor, JsonNode node)
    {
        for (var current = node.Parent; current is not null; current = current.Parent)
        {
            if (current == ancestor)
            {
                return true;
            }
        }

        return false;
    }

    private void RenameKey(List<JsonNode> nodes)
    {
        var keyed = nodes.Where(n => n.Parent is JsonObject).ToList();
        if (keyed.Count < 2)
        {
            return;
        }

        var target = keyed[_random.Next(keyed.Count)];
        var name = keyed[_random.Next(keyed.Count)].GetPropertyName();
        var obj = (JsonObject)target.Parent!;
        var value = target.DeepClone();
        obj.Remove(target.GetPropertyName());
        obj[name] = value;
    }

    private static void Replace(JsonNode target, JsonNode? value)
    {
        switch (target.Parent)
        {
            case JsonObject obj:
                obj[target.GetPropertyName()] = value;
                break;
            case JsonArray array:
                array[array.IndexOf(target)] = value;
                break;
        }
    }

    private JsonNode? RandomValue() => _random.Next(9) switch
    {
        0 => null,
        1 => JsonValue.Create(_random.Next(2) == 0),
        2 => JsonValue.Create(_random.Next(-3, 100)),
        3 => JsonValue.Create(long.MaxValue),
        4 => JsonValue.Create(double.MaxValue),
        5 => JsonValue.Create(new string('x', _random.Next(0, 3) == 0 ? 100_000 : 3)),
        6 => new JsonObject(),
        7 => new JsonArray(),
        _ => JsonValue.Create("$" + Kinds[_random.Next(Kinds.Length)].Split(' ')[0]),
    };

    /// <summary>A count near the end of the table the target's array belongs to (its parent array's length, or a table's).</summary>
    private int CountNear(JsonNode target)
    {
        for (var current = target.Parent; current is not null; current = current.Parent)
        {
            if (current is JsonArray array)
            {
                return array.Count;
            }
        }

        return _random.Next(100);
    }

    /// <summary>The index of the table entry that contains <paramref name="target"/>, or a reference to it.</summary>
    private JsonNode SelfReference(JsonNode target)
    {
        var index = 0;
        for (var current = target; current.Parent is not null; current = current.Parent)
        {
            if (current.Parent is JsonArray array)
            {
                index = array.IndexOf(current);
                break;
            }
        }

        return _random.Next(3) switch
        {
            0 => JsonValue.Create(index),
            1 => new JsonObject { ["$ref"] = index },
            _ => new JsonObject { ["e"] = index, ["r"] = 1 },
        };
    }

    private void Reorder(JsonNode target)
    {
        if ((target as JsonObject ?? target.Parent as JsonObject) is not { Count: > 1 } obj)
        {
            return;
        }

        var entries = obj.Select(p => (p.Key, Value: p.Value?.DeepClone())).OrderBy(_ => _random.Next()).ToList();
        obj.Clear();
        foreach (var (key, value) in entries)
        {
            obj[key] = value;
        }
    }

    /// <summary>A short text describing <paramref name="data"/> for a failure report (its length and start).</summary>
    public static string Describe(byte[] data) =>
        data.Length.ToString(CultureInfo.InvariantCulture) + " bytes: " + Encoding.UTF8.GetString(data, 0, Math.Min(data.Length, 200));
}
