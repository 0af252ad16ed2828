using System.Text;
using System.Text.Json.Nodes;

namespace Stackless.Emu.Tests.Persistence;

/// <summary>
/// A pickle opened as JSON for tests that play the attacker: find the tables, add type entries, change values. Works on
/// the envelope of format 2 (tables under "body") and on format 1 (tables at the top), so the regression tests of the
/// loader run unchanged against the code they were written to fix.
/// </summary>
internal sealed class PickleDocument
{
    private PickleDocument(JsonObject root) => Root = root;

    /// <summary>The whole pickle.</summary>
    public JsonObject Root { get; }

    /// <summary>The object holding the tables.</summary>
    public JsonObject Body => Root["body"] as JsonObject ?? Root;

    /// <summary>True for format 1 (the format before the hardened loader).</summary>
    public bool IsVersion1 => Root["version"]!.GetValue<int>() == 1;

    public JsonArray Types => Body["types"]!.AsArray();

    public JsonArray Assemblies => Body["assemblies"]!.AsArray();

    public JsonArray Tasklets => Body["tasklets"]!.AsArray();

    public JsonArray Channels => Body["channels"]!.AsArray();

    public JsonArray Objects => Body["objects"]!.AsArray();

    public static PickleDocument Parse(byte[] data) => new(JsonNode.Parse(data)!.AsObject());

    public byte[] ToBytes() => Encoding.UTF8.GetBytes(Root.ToJsonString());

    /// <summary>The index of the first type entry named <paramref name="name"/>.</summary>
    public int TypeNamed(string name)
    {
        for (var i = 0; i < Types.Count; i++)
        {
            if (Types[i]!["n"]?.GetValue<string>() == name)
            {
                return i;
            }
        }

        throw new InvalidOperationException($"no type entry {name}");
    }

    /// <summary>The index of the assembly entry named <paramref name="name"/>, added when missing.</summary>
    public int Assembly(string name)
    {
        for (var i = 0; i < Assemblies.Count; i++)
        {
            if (Assemblies[i]!["name"]!.GetValue<string>() == name)
            {
                return i;
            }
        }

        Assemblies.Add(new JsonObject { ["name"] = name, ["identity"] = name, ["mvid"] = Guid.Empty.ToString() });
        return Assemblies.Count - 1;
    }

    /// <summary>Appends a type entry; returns its index.</summary>
    public int AddType(JsonObject entry)
    {
        Types.Add(entry);
        return Types.Count - 1;
    }

    /// <summary>Appends a named type entry of assembly <paramref name="assembly"/>.</summary>
    public int AddNamedType(string assembly, string name, params int[] arguments)
    {
        var entry = new JsonObject { ["a"] = Assembly(assembly), ["n"] = name };
        if (arguments.Length > 0)
        {
            entry["g"] = new JsonArray(arguments.Select(a => (JsonNode)a).ToArray());
        }

        return AddType(entry);
    }

    /// <summary>Appends an object-table entry; returns its index.</summary>
    public int AddObject(JsonObject entry)
    {
        Objects.Add(entry);
        return Objects.Count - 1;
    }

    /// <summary>A value holding an exception of type entry <paramref name="type"/> (the shape differs between formats).</summary>
    public JsonObject ExceptionValue(int type, string? message) => IsVersion1
        ? new JsonObject { ["$exception"] = new JsonObject { ["t"] = type, ["m"] = message } }
        : new JsonObject { ["$exception"] = type, ["m"] = message };

    /// <summary>Every object of the pickle (recursively) that has property <paramref name="name"/>.</summary>
    public IEnumerable<JsonObject> ObjectsWith(string name) => Walk(Root).Where(o => o.ContainsKey(name));

    private static IEnumerable<JsonObject> Walk(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                yield return obj;
                foreach (var (_, child) in obj.ToList())
                {
                    foreach (var inner in Walk(child))
                    {
                        yield return inner;
                    }
                }

                break;
            case JsonArray array:
                foreach (var child in array.ToList())
                {
                    foreach (var inner in Walk(child))
                    {
                        yield return inner;
                    }
                }

                break;
        }
    }
}
