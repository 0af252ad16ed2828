using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace CompatMatrix;

/// <summary>
/// The "Across machines" section of compat-matrix.md: each semantic of Stackless.Emu.Orleans listed in
/// Stackless.Emu.Orleans.Tests/distributed-semantics.json, whether it holds, what happens instead, and the pass status
/// of the tests that prove it, read from the Orleans tests' TRX.
/// </summary>
internal static class Distributed
{
    private const string TestProject = "Stackless.Emu.Orleans.Tests";
    private const string SemanticsFile = "distributed-semantics.json";

    /// <summary>
    /// Renders the section, reading outcomes from <paramref name="trx"/> or, when it is null, from a run of the Orleans
    /// tests; returns an empty string when the semantics file does not exist.
    /// </summary>
    public static string Render(string root, string? trx, string configuration)
    {
        var semanticsPath = Path.Combine(root, TestProject, SemanticsFile);
        if (!File.Exists(semanticsPath))
        {
            return string.Empty;
        }

        var semantics = ReadSemantics(semanticsPath);
        var outcomes = Inputs.ReadTrx(trx ?? RunTests(root, configuration));
        var md = new StringBuilder();
        md.Append("\n## Across machines (Stackless.Emu.Orleans)\n\n");
        md.Append("Generated from `").Append(TestProject).Append('/').Append(SemanticsFile)
            .Append("` and the results of `dotnet test ").Append(TestProject)
            .Append("` (TRX). What holds for distributed channels and tasklet groups on an Orleans cluster, what cannot hold ")
            .Append("and what happens instead; the delivery model is explained in `docs/distributed.md`.\n\n");
        md.Append("| semantic | across machines | Stackless.Emu.Orleans | tests passing/total |\n|---|---|---|---|\n");
        foreach (var semantic in semantics)
        {
            var passed = semantic.Tests.Count(t => Result(outcomes, t) == Outcome.Passed);
            var tests = semantic.Tests.Count == 0 ? "— (nothing to test: no such API)" : Invariant($"{passed}/{semantic.Tests.Count}");
            md.Append("| ").Append(Cell(semantic.Semantic)).Append(" | ").Append(Status(semantic.Status)).Append(" | ")
                .Append(Cell(semantic.Behaviour)).Append(" | ").Append(tests).Append(" |\n");
        }

        md.Append("\n### Tests of the distributed semantics\n\n| semantic | C# test | result |\n|---|---|---|\n");
        foreach (var semantic in semantics)
        {
            foreach (var test in semantic.Tests)
            {
                md.Append("| ").Append(Cell(semantic.Semantic)).Append(" | `").Append(test).Append("` | ")
                    .Append(Result(outcomes, test) switch
                    {
                        Outcome.Passed => "pass",
                        Outcome.Skipped => "skip",
                        Outcome.Failed => "FAIL",
                        _ => "not run",
                    })
                    .Append(" |\n");
            }
        }

        return md.ToString();
    }

    private static Outcome Result(Dictionary<string, (Outcome Outcome, string? Message)> outcomes, string test) =>
        outcomes.TryGetValue($"{TestProject}.{test}", out var result) ? result.Outcome : Outcome.NotRun;

    private static string Status(string status) => status switch
    {
        "holds" => "✔ holds",
        "differs" => "◐ differs",
        "replaced" => "◐ replaced",
        "cannot hold" => "✘ cannot hold",
        _ => throw new InvalidDataException($"{SemanticsFile}: unknown status \"{status}\" (holds, differs, replaced, cannot hold)."),
    };

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static List<SemanticEntry> ReadSemantics(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return [.. doc.RootElement.GetProperty("semantics").EnumerateArray().Select(e => new SemanticEntry(
            e.GetProperty("semantic").GetString() ?? "",
            e.GetProperty("status").GetString() ?? "",
            e.GetProperty("behaviour").GetString() ?? "",
            [.. e.GetProperty("tests").EnumerateArray().Select(t => t.GetString() ?? "")]))];
    }

    /// <summary>Runs the Orleans tests with a TRX logger and returns the TRX path.</summary>
    private static string RunTests(string root, string configuration)
    {
        var results = Path.Combine(Path.GetTempPath(), $"compat-matrix-distributed-{Environment.ProcessId}");
        Directory.CreateDirectory(results);
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = root, UseShellExecute = false };
        foreach (var arg in new[] { "test", TestProject, "--configuration", configuration, "--logger", "trx;LogFileName=distributed.trx", "--results-directory", results })
        {
            start.ArgumentList.Add(arg);
        }

        Console.WriteLine($"compat-matrix: dotnet {string.Join(' ', start.ArgumentList)}");
        using var process = Process.Start(start) ?? throw new IOException("could not start dotnet");
        process.WaitForExit();
        var trx = Path.Combine(results, "distributed.trx");
        return File.Exists(trx) ? trx : throw new IOException($"dotnet test {TestProject} produced no TRX (exit code {process.ExitCode}).");
    }

    /// <summary>One entry of distributed-semantics.json.</summary>
    private sealed record SemanticEntry(string Semantic, string Status, string Behaviour, IReadOnlyList<string> Tests);
}
