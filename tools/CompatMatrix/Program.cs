using System.Diagnostics;

namespace CompatMatrix;

/// <summary>
/// Generates compat-matrix.md: runs the conformance tests (or reads a TRX), reads the [StacklessTest] attributes of
/// the test assembly, api-inventory.json and NotPorted/*.json, and writes the matrix (or, with --check, compares).
/// </summary>
internal static class Program
{
    private const string TestProject = "Stackless.Emu.Tests";
    private const string MatrixFile = "compat-matrix.md";
    private const string SuiteFile = "stackless-tests.json";

    public static int Main(string[] args)
    {
        Options options;
        try
        {
            options = Options.Parse(args);
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine("compat-matrix: " + ex.Message);
            Console.Error.WriteLine(Options.Usage);
            return 2;
        }

        if (options.Help)
        {
            Console.WriteLine(Options.Usage);
            return 0;
        }

        try
        {
            return Run(options);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException
                                       or System.Text.Json.JsonException or System.Xml.XmlException or BadImageFormatException)
        {
            Console.Error.WriteLine("compat-matrix: error: " + ex.Message);
            return 2;
        }
    }

    private static int Run(Options options)
    {
        var root = Path.GetFullPath(options.Root ?? FindRoot());
        var conformanceDir = Path.Combine(root, TestProject, "Conformance");

        var trx = options.Trx is null ? RunTests(root, options) : Path.GetFullPath(options.Trx);
        if (trx is null || !File.Exists(trx))
        {
            Console.Error.WriteLine($"compat-matrix: error: no TRX result file ({trx ?? "dotnet test produced none"}).");
            return 2;
        }

        var assembly = options.Assembly is null ? FindAssembly(root, options.Configuration) : Path.GetFullPath(options.Assembly);
        if (assembly is null || !File.Exists(assembly))
        {
            Console.Error.WriteLine($"compat-matrix: error: test assembly not found ({assembly ?? $"{TestProject}/bin/{options.Configuration}/*/{TestProject}.dll"}); build {TestProject} or pass --assembly.");
            return 2;
        }

        var tests = Inputs.ReadConformanceTests(assembly);
        var outcomes = Inputs.ReadTrx(trx);
        if (options.Trx is null && options.ResultsDirectory is null)
        {
            // Our own temporary results directory: nothing else needs it.
            Directory.Delete(Path.GetDirectoryName(trx)!, recursive: true);
        }
        var inventoryPath = Path.Combine(conformanceDir, "api-inventory.json");
        var inventory = File.Exists(inventoryPath) ? Inputs.ReadInventory(inventoryPath) : [];
        if (inventory.Count == 0)
        {
            Console.Error.WriteLine($"compat-matrix: warning: {inventoryPath} is missing or empty.");
        }

        var notPorted = Inputs.ReadNotPorted(Path.Combine(conformanceDir, "NotPorted"));
        var suitePath = options.SuiteInventory is null ? Path.Combine(conformanceDir, SuiteFile) : Path.GetFullPath(options.SuiteInventory);
        var suite = File.Exists(suitePath) ? Inputs.ReadSuiteInventory(suitePath) : [];
        if (suite.Count == 0)
        {
            Console.Error.WriteLine($"compat-matrix: warning: {suitePath} is missing or empty: the headline counts the ported tests only.");
        }

        var matrix = new Matrix(tests, outcomes, inventory, notPorted, suite);
        foreach (var warning in matrix.Warnings().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            Console.Error.WriteLine("compat-matrix: warning: " + warning);
        }

        if (matrix.UnaccountedTests.Count > 0)
        {
            Console.WriteLine($"suite: {matrix.UnaccountedTests.Count} Stackless test methods are neither ported nor listed in NotPorted/*.json");
            foreach (var group in matrix.UnaccountedTests.GroupBy(u => u.File, StringComparer.Ordinal))
            {
                Console.WriteLine($"  {group.Key}: {group.Count()}");
            }
        }

        var text = matrix.Render() + Distributed.Render(root, options.DistributedTrx is null ? null : Path.GetFullPath(options.DistributedTrx), options.Configuration);
        var committed = Path.GetFullPath(options.Output ?? Path.Combine(root, MatrixFile));
        Console.WriteLine(matrix.CountsLine);
        Console.WriteLine(matrix.SummaryLine);
        if (options.Check)
        {
            return Check(text, committed);
        }

        File.WriteAllText(committed, text);
        Console.WriteLine($"wrote {Path.GetRelativePath(root, committed)}");
        return 0;
    }

    /// <summary>Writes the regenerated matrix to a temporary file and compares it with the committed one.</summary>
    private static int Check(string text, string committed)
    {
        var temp = Path.Combine(Path.GetTempPath(), $"compat-matrix-{Environment.ProcessId}.md");
        File.WriteAllText(temp, text);
        if (!File.Exists(committed))
        {
            Console.Error.WriteLine($"compat-matrix --check: FAILED: {committed} does not exist. Run {Matrix.Command} and commit {MatrixFile}.");
            Console.Error.WriteLine($"  regenerated matrix: {temp}");
            return 1;
        }

        var expected = Normalize(File.ReadAllText(committed));
        var actual = Normalize(text);
        if (expected == actual)
        {
            File.Delete(temp);
            Console.WriteLine($"compat-matrix --check: OK, {MatrixFile} is up to date.");
            return 0;
        }

        var expectedLines = expected.Split('\n');
        var actualLines = actual.Split('\n');
        var line = 0;
        while (line < expectedLines.Length && line < actualLines.Length && expectedLines[line] == actualLines[line])
        {
            line++;
        }

        Console.Error.WriteLine($"compat-matrix --check: FAILED: {MatrixFile} is out of date (first difference at line {line + 1}).");
        Console.Error.WriteLine($"  committed:   {(line < expectedLines.Length ? expectedLines[line] : "<end of file>")}");
        Console.Error.WriteLine($"  regenerated: {(line < actualLines.Length ? actualLines[line] : "<end of file>")}");
        Console.Error.WriteLine($"  regenerated matrix: {temp} (diff -u {committed} {temp})");
        Console.Error.WriteLine($"  Run {Matrix.Command} and commit {MatrixFile}.");
        return 1;
    }

    private static string Normalize(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal);

    /// <summary>Runs the conformance tests with a TRX logger; returns the TRX path (null if none was produced).</summary>
    private static string? RunTests(string root, Options options)
    {
        var resultsDir = Path.GetFullPath(options.ResultsDirectory
            ?? Path.Combine(Path.GetTempPath(), $"compat-matrix-results-{Environment.ProcessId}"));
        Directory.CreateDirectory(resultsDir);
        var trx = Path.Combine(resultsDir, "conformance.trx");
        if (File.Exists(trx))
        {
            File.Delete(trx);
        }

        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = root, UseShellExecute = false };
        foreach (var arg in new[]
                 {
                     "test", TestProject, "--configuration", options.Configuration,
                     "--filter", "Category=Conformance",
                     "--logger", "trx;LogFileName=conformance.trx",
                     "--results-directory", resultsDir,
                 })
        {
            start.ArgumentList.Add(arg);
        }

        Console.WriteLine($"compat-matrix: dotnet {string.Join(' ', start.ArgumentList.Select(a => a.Contains(' ', StringComparison.Ordinal) || a.Contains(';', StringComparison.Ordinal) ? $"\"{a}\"" : a))}");
        using var process = Process.Start(start) ?? throw new IOException("could not start dotnet");
        process.WaitForExit();

        // Exit code 1 only means that some tests failed; the matrix reports them.
        if (process.ExitCode is not (0 or 1))
        {
            Console.Error.WriteLine($"compat-matrix: dotnet test exited with code {process.ExitCode}.");
        }

        return File.Exists(trx) ? trx : null;
    }

    private static string? FindAssembly(string root, string configuration)
    {
        var bin = Path.Combine(root, TestProject, "bin", configuration);
        if (!Directory.Exists(bin))
        {
            return null;
        }

        return Directory.GetDirectories(bin)
            .Select(dir => Path.Combine(dir, TestProject + ".dll"))
            .Where(File.Exists)
            .OrderByDescending(File.GetLastWriteTimeUtc)
            .FirstOrDefault();
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Emu.sln")))
            {
                return dir.FullName;
            }
        }

        throw new IOException("could not find the repository root (a directory with Emu.sln); pass --root.");
    }
}
