using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using Stackless.Emu.Monkeypatch.Generators;

namespace Stackless.Emu.Monkeypatch.InterceptorTests;

/// <summary>The generator run directly: it is off unless the MSBuild property is set, and intercepts per receiver type.</summary>
public class GeneratorTests
{
    private const string Source = """
        using System.IO;
        using System.Threading;
        static class User
        {
            static void M(FileStream fs, MemoryStream ms, Stream s, byte[] b)
            {
                Thread.Sleep(10);
                _ = fs.Read(b, 0, 1);
                _ = ms.Read(b, 0, 1);
                _ = s.Read(b, 0, 1);
                fs.Write(b, 0, 1);
                _ = Thread.CurrentThread.Name;
            }
        }
        """;

    [Fact]
    public void Without_the_property_nothing_is_generated()
    {
        var result = Run(enabled: null);
        Assert.Empty(result.GeneratedTrees);
        Assert.Empty(Run(enabled: "false").GeneratedTrees);
    }

    [Fact]
    public void With_the_property_each_call_site_gets_an_interceptor_per_receiver_type()
    {
        var result = Run(enabled: "true");
        var text = Assert.Single(result.GeneratedTrees).ToString();
        Assert.Contains("public static void Sleep_", text, StringComparison.Ordinal);
        Assert.Contains("this global::System.IO.FileStream self, byte[] p0, int p1, int p2", text, StringComparison.Ordinal);
        Assert.Contains("this global::System.IO.MemoryStream self, byte[] p0, int p1, int p2", text, StringComparison.Ordinal);
        Assert.Contains("this global::System.IO.Stream self, byte[] p0, int p1, int p2", text, StringComparison.Ordinal);
        Assert.Equal(5, text.Split("InterceptsLocationAttribute(1,").Length - 1);
        Assert.Empty(result.Diagnostics);
    }

    // The tests of this class run one at a time (one xunit collection), so the process-wide count is theirs alone.
    [Theory]
    [InlineData(null)]
    [InlineData("false")]
    public void With_the_property_off_no_call_site_is_bound(string? enabled)
    {
        var before = InterceptorGenerator.BoundCallSites;
        Assert.Empty(Run(enabled).GeneratedTrees);
        Assert.Equal(before, InterceptorGenerator.BoundCallSites);
    }

    [Fact]
    public void With_the_property_on_each_candidate_call_site_is_bound_once()
    {
        var before = InterceptorGenerator.BoundCallSites;
        Assert.Single(Run("true").GeneratedTrees);

        // Thread.Sleep, three Reads, a Write; Thread.CurrentThread.Name is no candidate (not an invocation).
        Assert.Equal(5, InterceptorGenerator.BoundCallSites - before);
    }

    /// <summary>
    /// The generated interceptor for "Kind.Name(parameters)" calls Redirect.Name with the receiver first (for an instance
    /// method) and returns what the BCL method returns: each table entry must name a real BCL method and a Redirect
    /// overload of exactly that shape, so a rename or a signature change on either side fails here, not in a consumer.
    /// </summary>
    [Fact]
    public void Each_supported_method_is_a_BCL_method_with_a_Redirect_overload_of_the_same_signature()
    {
        var compilation = ReferenceCompilation();
        var redirect = compilation.GetTypeByMetadataName(typeof(Redirect).FullName!)!;
        Assert.NotEmpty(InterceptorGenerator.Supported);
        foreach (var entry in InterceptorGenerator.Supported)
        {
            var kind = entry[..entry.IndexOf('.', StringComparison.Ordinal)];
            var type = compilation.GetTypeByMetadataName(InterceptorGenerator.Kinds[kind]);
            Assert.True(type is not null, $"{entry}: no type for kind {kind}");
            var original = Assert.Single(
                type.GetMembers().OfType<IMethodSymbol>(),
                method => $"{kind}.{method.Name}({string.Join(", ", method.Parameters.Select(p => p.Type.ToDisplayString()))})" == entry);
            var expected = RedirectSignature(original);
            Assert.True(
                redirect.GetMembers(original.Name).OfType<IMethodSymbol>().Any(method => Signature(method) == expected),
                $"{entry}: Redirect has no overload {expected}");
        }
    }

    [Fact]
    public void Each_Redirect_overload_is_in_the_supported_table()
    {
        var compilation = ReferenceCompilation();
        var redirect = compilation.GetTypeByMetadataName(typeof(Redirect).FullName!)!;
        var targets = InterceptorGenerator.Supported
            .Select(entry =>
            {
                var kind = entry[..entry.IndexOf('.', StringComparison.Ordinal)];
                var type = compilation.GetTypeByMetadataName(InterceptorGenerator.Kinds[kind])!;
                return type.GetMembers().OfType<IMethodSymbol>()
                    .Where(method => $"{kind}.{method.Name}({string.Join(", ", method.Parameters.Select(p => p.Type.ToDisplayString()))})" == entry)
                    .Select(RedirectSignature)
                    .SingleOrDefault();
            })
            .ToHashSet();
        var overloads = redirect.GetMembers().OfType<IMethodSymbol>().Where(m => m.MethodKind == MethodKind.Ordinary && m.DeclaredAccessibility == Accessibility.Public).ToList();
        Assert.NotEmpty(overloads);
        foreach (var overload in overloads)
        {
            Assert.True(targets.Contains(Signature(overload)), $"Redirect overload '{Signature(overload)}' is not in InterceptorGenerator.Supported: no call is redirected to it");
        }
    }

    /// <summary>"static int Read(System.IO.Stream, byte[], int, int)": what a Redirect overload must look like for <paramref name="original"/>.</summary>
    private static string RedirectSignature(IMethodSymbol original)
    {
        var parameters = original.Parameters.Select(p => p.Type.ToDisplayString());
        if (!original.IsStatic)
        {
            parameters = parameters.Prepend(original.ContainingType.ToDisplayString());
        }

        return $"static {original.ReturnType.ToDisplayString()} {original.Name}({string.Join(", ", parameters)})";
    }

    private static string Signature(IMethodSymbol method) =>
        $"{(method.IsStatic ? "static " : string.Empty)}{method.ReturnType.ToDisplayString()} {method.Name}({string.Join(", ", method.Parameters.Select(p => p.Type.ToDisplayString()))})";

    private static CSharpCompilation ReferenceCompilation() => CSharpCompilation.Create(
        "Tables",
        [],
        [.. PlatformReferences(), MetadataReference.CreateFromFile(typeof(Redirect).Assembly.Location), MetadataReference.CreateFromFile(typeof(Tasklet).Assembly.Location)],
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));

    private static IEnumerable<MetadataReference> PlatformReferences() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Select(path => MetadataReference.CreateFromFile(path));

    private static GeneratorDriverRunResult Run(string? enabled)
    {
        var compilation = CSharpCompilation.Create(
            "User",
            [CSharpSyntaxTree.ParseText(SourceText.From(Source), new CSharpParseOptions(LanguageVersion.Preview), path: "/src/User.cs")],
            PlatformReferences(),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        var options = new Options(enabled is null ? [] : new Dictionary<string, string> { ["build_property.StacklessMonkeypatch"] = enabled });
        GeneratorDriver driver = CSharpGeneratorDriver.Create(
            [new InterceptorGenerator().AsSourceGenerator()],
            optionsProvider: options,
            parseOptions: new CSharpParseOptions(LanguageVersion.Preview));
        return driver.RunGenerators(compilation).GetRunResult();
    }

    private sealed class Options(Dictionary<string, string> values) : AnalyzerConfigOptionsProvider
    {
        public override AnalyzerConfigOptions GlobalOptions { get; } = new Global(values);

        public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => GlobalOptions;

        public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => GlobalOptions;

        private sealed class Global(Dictionary<string, string> values) : AnalyzerConfigOptions
        {
            public override bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value) =>
                values.TryGetValue(key, out value);
        }
    }
}
