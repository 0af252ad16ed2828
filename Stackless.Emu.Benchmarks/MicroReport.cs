using System.Text;
using BenchmarkDotNet.Reports;

namespace Stackless.Emu.Benchmarks;

/// <summary>Copies BenchmarkDotNet's GitHub-markdown reports into the "Micro" section of docs/benchmarks.md.</summary>
internal static class MicroReport
{
    public static void Write(IEnumerable<Summary> summaries)
    {
        var files = summaries
            .Where(s => !s.HasCriticalValidationErrors && s.Reports.Length > 0)
            .SelectMany(s => Directory.GetFiles(s.ResultsDirectoryPath, "*-report-github.md"))
            .Distinct()
            .ToList();
        WriteFiles(files);
    }

    public static void WriteFromArtifacts()
    {
        var dir = Path.Combine(Environment.CurrentDirectory, "BenchmarkDotNet.Artifacts", "results");
        WriteFiles(Directory.GetFiles(dir, "*-report-github.md").ToList());
    }

    private static void WriteFiles(List<string> files)
    {
        if (files.Count == 0)
        {
            Console.Error.WriteLine("No BenchmarkDotNet report to copy.");
            return;
        }

        var sb = new StringBuilder();
        sb.AppendLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"Produced by `dotnet run -c Release --project Stackless.Emu.Benchmarks -- micro {string.Join(' ', Environment.GetCommandLineArgs().Skip(2))}` on {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC (BenchmarkDotNet's GitHub reports, copied verbatim). Per operation: each invocation runs a loop of N operations (OperationsPerInvoke)."));
        foreach (var file in files.Order(StringComparer.Ordinal))
        {
            sb.AppendLine();
            sb.AppendLine("### " + Path.GetFileName(file).Replace("-report-github.md", "", StringComparison.Ordinal));
            sb.AppendLine();
            sb.AppendLine(File.ReadAllText(file).Trim());
        }

        Macro.UpdateSection("micro", sb.ToString());
    }
}
