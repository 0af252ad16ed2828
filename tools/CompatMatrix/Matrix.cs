using System.Globalization;
using System.Text;

namespace CompatMatrix;

/// <summary>Joins the inputs and renders compat-matrix.md deterministically (ordinal sorting, no times, no machine data).</summary>
internal sealed class Matrix
{
    public const string Command = ".ci/compat-matrix";

    private readonly List<(ConformanceTest Test, Outcome Outcome, string? Reason)> _results;
    private readonly List<ApiEntry> _inventory;
    private readonly List<NotPortedTest> _notPorted;
    private readonly List<SuiteTest> _suite;
    private readonly List<SuiteTest> _unaccounted;

    /// <param name="suite">
    /// Every upstream Stackless test (stackless-tests.json); empty when there is no inventory, and then the headline
    /// counts only the ported tests.
    /// </param>
    public Matrix(
        IReadOnlyList<ConformanceTest> tests,
        IReadOnlyDictionary<string, (Outcome Outcome, string? Message)> outcomes,
        IReadOnlyList<ApiEntry> inventory,
        IReadOnlyList<NotPortedTest> notPorted,
        IReadOnlyList<SuiteTest> suite)
    {
        _results = tests
            .Select(t =>
            {
                if (!outcomes.TryGetValue(t.CSharpName, out var o))
                {
                    // A skipped [Fact] always shows up in the TRX; absent means the test did not run at all.
                    return (t, Outcome.NotRun, (string?)"not in the test results");
                }

                var reason = o.Outcome == Outcome.Skipped ? t.Skip ?? o.Message : null;
                return (t, o.Outcome, reason);
            })
            .ToList();
        _inventory = [.. inventory];
        _notPorted = [.. notPorted];
        Passed = _results.Count(r => r.Outcome == Outcome.Passed);
        Failed = _results.Count(r => r.Outcome is Outcome.Failed or Outcome.NotRun);
        Skipped = _results.Count(r => r.Outcome == Outcome.Skipped);

        // The fair denominator: every upstream test except those listed as not ported (internals, python-only) and those
        // skipped upstream; an upstream test neither ported nor listed counts as not passing.
        _suite = [.. suite];
        var skippedUpstream = _suite.Where(s => s.SkippedUpstream).Select(s => (s.File, s.Test)).ToHashSet();
        _unaccounted = Unaccounted(_suite).Where(s => !s.SkippedUpstream).ToList();
        var counted = _results.Where(r => !skippedUpstream.Contains((r.Test.File, r.Test.Test))).ToList();
        Behavioural = Score(counted.Where(r => !r.Test.IsApiPresence), _unaccounted.Count(u => !ConformanceTest.IsApiPresenceFile(u.File)));
        ApiPresence = Score(counted.Where(r => r.Test.IsApiPresence), _unaccounted.Count(u => ConformanceTest.IsApiPresenceFile(u.File)));
    }

    private static Score Score(IEnumerable<(ConformanceTest Test, Outcome Outcome, string? Reason)> ported, int unaccounted)
    {
        var list = ported.ToList();
        return new Score(list.Count(r => r.Outcome == Outcome.Passed), list.Count + unaccounted);
    }

    /// <summary>Behavioural tests (everything but the API-presence checks) against the fair denominator.</summary>
    public Score Behavioural { get; }

    /// <summary>API-presence checks (ports of the test suite's test_content.py) against the fair denominator.</summary>
    public Score ApiPresence { get; }

    public int Passed { get; }

    /// <summary>Failed tests, including tests that carry the attribute but did not run.</summary>
    public int Failed { get; }

    public int Skipped { get; }

    public int Total => _results.Count;

    /// <summary>Consistency problems worth a warning (not errors: the matrix is still written).</summary>
    public IEnumerable<string> Warnings()
    {
        var known = _inventory.Select(e => e.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var group in _inventory.GroupBy(e => e.Name, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            yield return $"api-inventory.json lists {group.Key} {group.Count()} times.";
        }

        foreach (var (test, _, _) in _results)
        {
            foreach (var api in test.Apis.Where(a => !known.Contains(a)))
            {
                yield return $"{test.CSharpName}: API name \"{api}\" is not in api-inventory.json.";
            }

            if (test.Apis.Count == 0)
            {
                yield return $"{test.CSharpName}: [StacklessTest] names no API.";
            }
        }

        foreach (var group in _results.GroupBy(r => (r.Test.File, r.Test.Test)).Where(g => g.Count() > 1))
        {
            yield return $"{group.Key.File} {group.Key.Test} is ported by several C# tests: " +
                string.Join(", ", group.Select(r => r.Test.CSharpName));
        }

        var ported = _results.Select(r => (r.Test.File, r.Test.Test)).ToHashSet();
        foreach (var entry in _notPorted.Where(n => ported.Contains((n.File, n.Test))))
        {
            yield return $"{entry.File} {entry.Test} is both ported and listed as not ported in NotPorted/{entry.Source}.";
        }

        if (_suite.Count > 0)
        {
            // A name that is not upstream is a misspelling or a test of another Stackless version: it would not be counted.
            var upstream = _suite.Select(s => (s.File, s.Test)).ToHashSet();
            foreach (var (test, _, _) in _results.Where(r => !upstream.Contains((r.Test.File, r.Test.Test))))
            {
                yield return $"{test.CSharpName} ports {test.File} {test.Test}, which is not in stackless-tests.json.";
            }
        }

        foreach (var result in _results.Where(r => r.Outcome == Outcome.NotRun))
        {
            yield return $"{result.Test.CSharpName} carries [StacklessTest] but has no result in the TRX (is it a [Fact]?).";
        }
    }

    /// <summary>Upstream tests (not skipped upstream) that are neither ported nor listed as not ported.</summary>
    public IReadOnlyList<SuiteTest> UnaccountedTests => _unaccounted;

    /// <summary>Stackless test methods of the suite inventory that are neither ported nor listed as not ported.</summary>
    private List<SuiteTest> Unaccounted(IEnumerable<SuiteTest> suite)
    {
        var accounted = _results.Select(r => (r.Test.File, r.Test.Test))
            .Concat(_notPorted.Select(n => (n.File, n.Test)))
            .ToHashSet();
        return suite.Where(s => !accounted.Contains((s.File, s.Test)))
            .Distinct()
            .OrderBy(s => s.File, StringComparer.Ordinal)
            .ThenBy(s => s.Test, StringComparer.Ordinal)
            .ToList();
    }

    public string SummaryLine => Invariant(
        $"{Behavioural.Passed} of {Behavioural.Denominator} behavioural tests passing ({Behavioural.Percent}), {ApiPresence.Passed} of {ApiPresence.Denominator} API-presence checks passing");

    public string CountsLine => $"conformance: {Passed} passed, {Failed} failed, {Skipped} skipped";

    public string Render()
    {
        var md = new StringBuilder();
        md.Append("# Stackless compatibility matrix\n\n");
        md.Append("<!-- GENERATED FILE - do not edit by hand. Regenerate with: ").Append(Command).Append(" -->\n\n");
        md.Append("Generated by `tools/CompatMatrix` (run `").Append(Command).Append("`; CI runs `")
            .Append(Command).Append(" --check`) from the conformance tests (`dotnet test Stackless.Emu.Tests ")
            .Append("--filter \"Category=Conformance\"`), their `[StacklessTest]` attributes, ")
            .Append("`Stackless.Emu.Tests/Conformance/api-inventory.json`, `Stackless.Emu.Tests/Conformance/NotPorted/*.json` ")
            .Append("and the upstream test list `Stackless.Emu.Tests/Conformance/stackless-tests.json`.\n\n");
        md.Append("**").Append(SummaryLine).Append("**\n\n");
        RenderDenominator(md);
        md.Append(Invariant($"Conformance tests: {Total} ({Passed} passed, {Failed} failed, {Skipped} skipped). "));
        md.Append(Invariant($"Not ported: {_notPorted.Count}"));
        var byCategory = _notPorted.GroupBy(n => n.Category, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => Invariant($"{g.Count()} {(g.Key.Length == 0 ? "uncategorised" : g.Key)}"))
            .ToList();
        if (byCategory.Count > 0)
        {
            md.Append(" (").Append(string.Join(", ", byCategory)).Append(')');
        }

        md.Append(".\n\n");
        md.Append("Status: ✔ every conformance test exercising the name passes; ◐ some pass, or it works with a semantic ")
            .Append("difference (stated); ✘ no test passes (failing, not built yet, or untested); n/a no C# counterpart.\n\n");

        RenderApiTable(md);
        RenderFiles(md);
        return md.ToString();
    }

    private void RenderDenominator(StringBuilder md)
    {
        if (_suite.Count == 0)
        {
            md.Append("Denominator: the ported tests only (no upstream inventory, `Stackless.Emu.Tests/Conformance/stackless-tests.json`, was read).\n\n");
            return;
        }

        var upstream = _suite.Select(s => (s.File, s.Test)).ToHashSet();
        var excluded = _notPorted.Select(n => (n.File, n.Test))
            .Concat(_suite.Where(s => s.SkippedUpstream).Select(s => (s.File, s.Test)))
            .Where(upstream.Contains)
            .ToHashSet();
        md.Append(Invariant($"Denominator: the {upstream.Count} upstream tests of `Stackless.Emu.Tests/Conformance/stackless-tests.json` "))
            .Append("(stackless-dev/cpython Stackless/unittests and stackless-dev/stackless-testsuite v3_1, listed from the sources) ")
            .Append(Invariant($"minus the {excluded.Count} listed in `NotPorted/*.json` as internals or python-only or skipped upstream: "))
            .Append(Invariant($"{Behavioural.Denominator + ApiPresence.Denominator}, of which {_unaccounted.Count} are neither ported nor listed and count as not passing. "))
            .Append("API-presence checks are the ports of the test suite's `test_content.py` files, which check by reflection ")
            .Append("that a name exists with the right kind; every other test is behavioural.\n\n");
    }

    private void RenderApiTable(StringBuilder md)
    {
        md.Append("## API\n\n");
        md.Append("| Stackless name | C# name | status | tests passing/total | notes |\n");
        md.Append("|---|---|---|---|---|\n");
        var inventory = _inventory.GroupBy(e => e.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var names = inventory.Keys.Concat(_results.SelectMany(r => r.Test.Apis)).Distinct().Order(StringComparer.Ordinal);
        foreach (var name in names)
        {
            inventory.TryGetValue(name, out var entry);
            var tests = _results.Where(r => r.Test.Apis.Contains(name, StringComparer.Ordinal)).ToList();
            var passed = tests.Count(r => r.Outcome == Outcome.Passed);
            var failed = tests.Count(r => r.Outcome is Outcome.Failed or Outcome.NotRun);
            var skipped = tests.Where(r => r.Outcome == Outcome.Skipped).ToList();
            var skippedFeatures = skipped.Select(r => r.Test.MissingFeature).OfType<string>()
                .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            var notBuiltSkips = skipped.Count(r => r.Test.MissingFeature is not null);
            var otherSkips = skipped.Where(r => r.Test.MissingFeature is null)
                .Select(r => r.Reason ?? "skipped").Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

            var notes = new List<string>();
            string status;
            if (entry?.NaReason is { } na && tests.Count == 0)
            {
                status = "n/a";
                notes.Add(na);
            }
            else if (tests.Count > 0 && passed == tests.Count)
            {
                status = entry?.SemanticDifference is null ? "✔" : "◐";
            }
            else if (passed > 0)
            {
                status = "◐";
            }
            else
            {
                status = "✘";
            }

            if (status != "n/a" && entry?.NaReason is { } naWithTests)
            {
                notes.Add("inventory says n/a: " + naWithTests);
            }

            if (entry?.SemanticDifference is { } difference)
            {
                notes.Add("semantic difference: " + difference);
            }

            if (entry?.MissingFeature is { } planned)
            {
                notes.Add("not built yet: " + planned);
            }

            if (failed > 0)
            {
                notes.Add(Invariant($"{failed} failing"));
            }

            if (notBuiltSkips > 0)
            {
                notes.Add(Invariant($"{notBuiltSkips} skipped (not built yet: {string.Join(", ", skippedFeatures)})"));
            }

            if (otherSkips.Count > 0)
            {
                notes.Add(Invariant($"{skipped.Count - notBuiltSkips} skipped ({string.Join("; ", otherSkips)})"));
            }

            if (tests.Count == 0 && status != "n/a" && entry?.MissingFeature is null)
            {
                notes.Add("untested: no conformance test exercises it");
            }

            if (entry is null)
            {
                notes.Add("not in api-inventory.json");
            }
            else if (!string.IsNullOrWhiteSpace(entry.Notes))
            {
                notes.Add(entry.Notes);
            }

            var csharp = entry is null ? "?" : entry.CSharp is null ? "—" : Code(entry.CSharp);
            var counts = tests.Count == 0 ? "—" : Invariant($"{passed}/{tests.Count}");
            md.Append("| ").Append(Code(name)).Append(" | ").Append(csharp).Append(" | ").Append(status).Append(" | ")
                .Append(counts).Append(" | ").Append(Cell(string.Join("; ", notes))).Append(" |\n");
        }

        md.Append('\n');
    }

    private void RenderFiles(StringBuilder md)
    {
        md.Append("## Stackless test files\n\n");
        var files = _results.Select(r => r.Test.File).Concat(_notPorted.Select(n => n.File)).Concat(_unaccounted.Select(u => u.File))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0)
        {
            md.Append("No conformance tests and no not-ported entries yet.\n");
            return;
        }

        md.Append("| file | ported | passing | failing | skipped | not ported | neither ported nor listed |\n");
        md.Append("|---|---|---|---|---|---|---|\n");
        foreach (var file in files)
        {
            var ported = _results.Where(r => r.Test.File == file).ToList();
            md.Append("| ").Append(Code(file)).Append(Invariant($" | {ported.Count} | "))
                .Append(Invariant($"{ported.Count(r => r.Outcome == Outcome.Passed)} | "))
                .Append(Invariant($"{ported.Count(r => r.Outcome is Outcome.Failed or Outcome.NotRun)} | "))
                .Append(Invariant($"{ported.Count(r => r.Outcome == Outcome.Skipped)} | "))
                .Append(Invariant($"{_notPorted.Count(n => n.File == file)} | "))
                .Append(Invariant($"{_unaccounted.Count(u => u.File == file)} |\n"));
        }

        md.Append('\n');
        foreach (var file in files)
        {
            md.Append("### ").Append(Cell(file)).Append("\n\n");
            var ported = _results.Where(r => r.Test.File == file)
                .OrderBy(r => r.Test.Test, StringComparer.Ordinal)
                .ThenBy(r => r.Test.CSharpName, StringComparer.Ordinal)
                .ToList();
            if (ported.Count > 0)
            {
                md.Append("| Stackless test | C# test | result |\n|---|---|---|\n");
                foreach (var (test, outcome, reason) in ported)
                {
                    var result = outcome switch
                    {
                        Outcome.Passed => "pass",
                        Outcome.Failed => "**FAIL**",
                        Outcome.Skipped => "skip: " + (reason ?? "no reason given"),
                        _ => "**not run**: " + reason,
                    };
                    md.Append("| ").Append(Code(test.Test)).Append(" | ").Append(Code(test.ShortCSharpName)).Append(" | ")
                        .Append(Cell(result)).Append(" |\n");
                }

                md.Append('\n');
            }

            var unaccounted = _unaccounted.Where(u => u.File == file).ToList();
            if (unaccounted.Count > 0)
            {
                md.Append("Neither ported nor listed (counted as not passing):\n\n| Stackless test |\n|---|\n");
                foreach (var entry in unaccounted)
                {
                    md.Append("| ").Append(Code(entry.Test)).Append(" |\n");
                }

                md.Append('\n');
            }

            var notPorted = _notPorted.Where(n => n.File == file)
                .OrderBy(n => n.Test, StringComparer.Ordinal)
                .ThenBy(n => n.Source, StringComparer.Ordinal)
                .ToList();
            if (notPorted.Count > 0)
            {
                md.Append("Not ported:\n\n| Stackless test | category | reason |\n|---|---|---|\n");
                foreach (var entry in notPorted)
                {
                    md.Append("| ").Append(Code(entry.Test)).Append(" | ").Append(Cell(entry.Category)).Append(" | ")
                        .Append(Cell(entry.Reason)).Append(" |\n");
                }

                md.Append('\n');
            }
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>Inline code inside a table cell.</summary>
    private static string Code(string text) => "`" + text.Replace("`", "'", StringComparison.Ordinal).Replace("|", "\\|", StringComparison.Ordinal) + "`";

    /// <summary>Plain text inside a table cell: one line, pipes escaped.</summary>
    private static string Cell(string text) =>
        text.Replace("\r\n", " ", StringComparison.Ordinal)
            .Replace('\n', ' ')
            .Replace('\r', ' ')
            .Replace("|", "\\|", StringComparison.Ordinal)
            .Trim();
}
