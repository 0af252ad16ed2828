namespace CompatMatrix;

/// <summary>The result of one conformance test.</summary>
internal enum Outcome
{
    Passed,
    Failed,
    Skipped,
    NotRun,
}

/// <summary>A C# conformance test: a method carrying [StacklessTest].</summary>
/// <param name="CSharpName">Fully qualified C# name, Namespace.Class.Method (as in the TRX).</param>
/// <param name="File">The Stackless test file.</param>
/// <param name="Test">The Stackless test, Class.method.</param>
/// <param name="Apis">The Stackless API names it exercises.</param>
/// <param name="Skip">The [Fact(Skip = ...)] reason, or null.</param>
internal sealed record ConformanceTest(string CSharpName, string File, string Test, IReadOnlyList<string> Apis, string? Skip)
{
    public const string NotBuiltPrefix = "Not built yet:";

    /// <summary>The missing feature named by a "Not built yet: X" skip reason, or null.</summary>
    public string? MissingFeature =>
        Skip is not null && Skip.StartsWith(NotBuiltPrefix, StringComparison.Ordinal)
            ? Skip[NotBuiltPrefix.Length..].Trim()
            : null;

    /// <summary>
    /// An API-presence check: a port of the test suite's test_content.py files, which check by reflection that a name
    /// exists with the right kind. Counted apart from the behavioural tests in the headline.
    /// </summary>
    public bool IsApiPresence => IsApiPresenceFile(File);

    /// <summary>Whether the Stackless test file holds API-presence checks (the test suite's test_content.py files).</summary>
    public static bool IsApiPresenceFile(string file) => file.EndsWith("/test_content.py", StringComparison.Ordinal);

    /// <summary>The C# name without its namespace, Class.Method.</summary>
    public string ShortCSharpName
    {
        get
        {
            var method = CSharpName.LastIndexOf('.');
            var type = method > 0 ? CSharpName.LastIndexOf('.', method - 1) : -1;
            return type >= 0 ? CSharpName[(type + 1)..] : CSharpName;
        }
    }
}

/// <summary>One entry of api-inventory.json.</summary>
internal sealed record ApiEntry(
    string Name,
    string? CSharp,
    string Kind,
    string? Notes,
    string? NaReason,
    string? MissingFeature,
    string? SemanticDifference);

/// <summary>One entry of NotPorted/*.json.</summary>
internal sealed record NotPortedTest(string File, string Test, string Category, string Reason, string Source);

/// <summary>One Stackless test method of the suite inventory (stackless-tests.json).</summary>
/// <param name="File">The Stackless test file.</param>
/// <param name="Test">The Stackless test, Class.method.</param>
/// <param name="SkippedUpstream">Whether the test carries @unittest.skip in its own suite.</param>
internal sealed record SuiteTest(string File, string Test, bool SkippedUpstream = false);

/// <summary>A headline figure: tests passing against the fair denominator.</summary>
/// <param name="Passed">Ported tests that pass.</param>
/// <param name="Denominator">Ported tests plus upstream tests neither ported nor listed as not ported.</param>
internal sealed record Score(int Passed, int Denominator)
{
    /// <summary>The pass rate as "81.0 %" (one decimal, invariant culture).</summary>
    public string Percent => Denominator == 0
        ? "—"
        : (100.0 * Passed / Denominator).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + " %";
}
