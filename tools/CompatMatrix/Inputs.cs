using System.Reflection;
using System.Text.Json;
using System.Xml.Linq;

namespace CompatMatrix;

/// <summary>Reads the generator's inputs: the test assembly, the TRX, the inventory and the not-ported lists.</summary>
internal static class Inputs
{
    private const string StacklessTestAttributeName = "StacklessTestAttribute";
    private const string FactAttributeName = "FactAttribute";

    /// <summary>
    /// Loads the test assembly and returns every test method carrying [StacklessTest], with its Fact Skip reason.
    /// Test methods inherited by concrete test classes are reported once per concrete class, as xunit runs them.
    /// </summary>
    public static List<ConformanceTest> ReadConformanceTests(string assemblyPath)
    {
        var assembly = Assembly.LoadFrom(assemblyPath);
        Type?[] types;
        try
        {
            types = assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException ex)
        {
            types = ex.Types;
        }

        var tests = new List<ConformanceTest>();
        foreach (var type in types)
        {
            if (type is null || !type.IsClass || type.IsAbstract && !type.IsSealed || type.ContainsGenericParameters)
            {
                continue;
            }

            const BindingFlags flags = BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.FlattenHierarchy;
            foreach (var method in type.GetMethods(flags))
            {
                CustomAttributeData? stackless = null;
                string? skip = null;
                foreach (var data in method.GetCustomAttributesData())
                {
                    if (data.AttributeType.Name == StacklessTestAttributeName)
                    {
                        stackless = data;
                    }
                    else if (IsOrDerivesFrom(data.AttributeType, FactAttributeName))
                    {
                        skip = data.NamedArguments
                            .Where(a => a.MemberName == "Skip")
                            .Select(a => a.TypedValue.Value as string)
                            .FirstOrDefault(s => !string.IsNullOrEmpty(s));
                    }
                }

                if (stackless is null)
                {
                    continue;
                }

                var args = stackless.ConstructorArguments;
                var apis = args.Count > 2 && args[2].Value is IEnumerable<CustomAttributeTypedArgument> list
                    ? list.Select(a => (string)a.Value!).ToList()
                    : [];
                tests.Add(new ConformanceTest(
                    $"{type.FullName}.{method.Name}",
                    (string)args[0].Value!,
                    (string)args[1].Value!,
                    apis,
                    skip));
            }
        }

        tests.Sort((a, b) => string.CompareOrdinal(a.CSharpName, b.CSharpName));
        return tests;
    }

    private static bool IsOrDerivesFrom(Type? type, string name)
    {
        for (; type is not null; type = type.BaseType)
        {
            if (type.Name == name)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Reads a TRX file: outcome per fully qualified test method (Namespace.Class.Method). Several results for one
    /// method (theory rows) are combined: any failure fails it, all skipped skips it, otherwise it passed.
    /// Also returns the skip message per method.
    /// </summary>
    public static Dictionary<string, (Outcome Outcome, string? Message)> ReadTrx(string trxPath)
    {
        var doc = XDocument.Load(trxPath);
        XNamespace ns = doc.Root!.Name.Namespace;
        var methodById = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var unitTest in doc.Descendants(ns + "UnitTest"))
        {
            var method = unitTest.Element(ns + "TestMethod");
            var id = (string?)unitTest.Attribute("id");
            if (method is null || id is null)
            {
                continue;
            }

            methodById[id] = $"{(string?)method.Attribute("className")}.{(string?)method.Attribute("name")}";
        }

        var outcomes = new Dictionary<string, List<(Outcome, string?)>>(StringComparer.Ordinal);
        foreach (var result in doc.Descendants(ns + "UnitTestResult"))
        {
            var id = (string?)result.Attribute("testId");
            if (id is null || !methodById.TryGetValue(id, out var name))
            {
                name = (string?)result.Attribute("testName") ?? "";
            }

            var outcome = (string?)result.Attribute("outcome") switch
            {
                "Passed" => Outcome.Passed,
                "NotExecuted" or "Inconclusive" => Outcome.Skipped,
                _ => Outcome.Failed,
            };
            var message = result.Descendants(ns + "Message").Select(m => m.Value.Trim()).FirstOrDefault();
            if (!outcomes.TryGetValue(name, out var list))
            {
                outcomes[name] = list = [];
            }

            list.Add((outcome, message));
        }

        return outcomes.ToDictionary(
            kv => kv.Key,
            kv =>
            {
                var list = kv.Value;
                if (list.Any(r => r.Item1 == Outcome.Failed))
                {
                    return (Outcome.Failed, list.First(r => r.Item1 == Outcome.Failed).Item2);
                }

                if (list.All(r => r.Item1 == Outcome.Skipped))
                {
                    return (Outcome.Skipped, list[0].Item2);
                }

                return (Outcome.Passed, (string?)null);
            },
            StringComparer.Ordinal);
    }

    /// <summary>Reads api-inventory.json (an array of entries).</summary>
    public static List<ApiEntry> ReadInventory(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path), JsonOptions);
        var entries = new List<ApiEntry>();
        foreach (var e in doc.RootElement.EnumerateArray())
        {
            entries.Add(new ApiEntry(
                Required(e, "name", path),
                Optional(e, "csharp"),
                Optional(e, "kind") ?? "",
                Optional(e, "notes"),
                Optional(e, "na_reason"),
                Optional(e, "missing_feature"),
                Optional(e, "semantic_difference")));
        }

        return entries;
    }

    /// <summary>Reads every NotPorted/*.json file (arrays of {file, test, category, reason}).</summary>
    public static List<NotPortedTest> ReadNotPorted(string directory)
    {
        var entries = new List<NotPortedTest>();
        if (!Directory.Exists(directory))
        {
            return entries;
        }

        foreach (var path in Directory.GetFiles(directory, "*.json").Order(StringComparer.Ordinal))
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path), JsonOptions);
            foreach (var e in doc.RootElement.EnumerateArray())
            {
                entries.Add(new NotPortedTest(
                    Required(e, "file", path),
                    Required(e, "test", path),
                    Optional(e, "category") ?? "",
                    Optional(e, "reason") ?? "",
                    Path.GetFileName(path)));
            }
        }

        return entries;
    }

    /// <summary>Reads stackless-tests.json (array of {file, class, method, ...}).</summary>
    public static List<SuiteTest> ReadSuiteInventory(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path), JsonOptions);
        return doc.RootElement.EnumerateArray()
            .Select(e => new SuiteTest(
                Required(e, "file", path),
                $"{Required(e, "class", path)}.{Required(e, "method", path)}",
                e.TryGetProperty("skipped_upstream", out var skipped) && skipped.ValueKind == JsonValueKind.True))
            .ToList();
    }

    private static readonly JsonDocumentOptions JsonOptions = new()
    {
        AllowTrailingCommas = true,
        CommentHandling = JsonCommentHandling.Skip,
    };

    private static string Required(JsonElement element, string property, string path) =>
        Optional(element, property) ?? throw new InvalidDataException($"{path}: an entry has no \"{property}\": {element}");

    private static string? Optional(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
