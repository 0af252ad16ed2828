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

    private static GeneratorDriverRunResult Run(string? enabled)
    {
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Select(path => MetadataReference.CreateFromFile(path));
        var compilation = CSharpCompilation.Create(
            "User",
            [CSharpSyntaxTree.ParseText(SourceText.From(Source), new CSharpParseOptions(LanguageVersion.Preview), path: "/src/User.cs")],
            references,
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
