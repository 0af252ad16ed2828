using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace Stackless.Emu.Analyzers.Tests.Infrastructure;

/// <summary>
/// Runs an analyzer (and a code fix) over a source with the Roslyn test framework. Markup: <c>{|SLE1001:code|}</c> marks
/// where a diagnostic with that id must be, and nothing else may be reported; compiler errors fail the test too.
/// </summary>
internal static class Verify<TAnalyzer>
    where TAnalyzer : DiagnosticAnalyzer, new()
{
    /// <summary>A diagnostic with <paramref name="id"/> at markup location <c>{|#n:...|}</c>, to check its message arguments.</summary>
    public static DiagnosticResult Diagnostic(string id) => new DiagnosticResult(id, DiagnosticSeverity.Warning);

    public static Task AnalyzerAsync(string source, params DiagnosticResult[] expected)
    {
        var test = new CSharpAnalyzerTest<TAnalyzer, DefaultVerifier> { TestCode = source };
        Configure(test);
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }

    /// <param name="source">The code with its diagnostics marked.</param>
    /// <param name="fixedSource">The code after every fix.</param>
    /// <param name="compilationEnd">
    /// The diagnostics are reported at the end of the compilation (SLE11xx). The framework refuses fixes for such
    /// non-local diagnostics unless told; an IDE offers them where it shows them (full solution analysis, the build).
    /// </param>
    public static Task CodeFixAsync<TCodeFix>(string source, string fixedSource, bool compilationEnd = false)
        where TCodeFix : CodeFixProvider, new()
    {
        var test = new CSharpCodeFixTest<TAnalyzer, TCodeFix, DefaultVerifier>
        {
            TestCode = source,
            FixedCode = fixedSource,
            CodeFixTestBehaviors = compilationEnd ? CodeFixTestBehaviors.SkipLocalDiagnosticCheck : CodeFixTestBehaviors.None,
        };
        Configure(test);
        return test.RunAsync();
    }

    private static void Configure<TVerifier>(AnalyzerTest<TVerifier> test)
        where TVerifier : IVerifier, new()
    {
        test.ReferenceAssemblies = TestReferences.None;
        test.TestState.AdditionalReferences.AddRange(TestReferences.All);
        test.SolutionTransforms.Add((solution, projectId) =>
        {
            var options = (Microsoft.CodeAnalysis.CSharp.CSharpCompilationOptions)solution.GetProject(projectId)!.CompilationOptions!;
            return solution.WithProjectCompilationOptions(projectId, options.WithNullableContextOptions(NullableContextOptions.Enable));
        });
    }
}
