namespace CompatMatrix;

/// <summary>Command-line options of the generator.</summary>
internal sealed class Options
{
    public const string Usage = """
        Usage: CompatMatrix [options]
          Runs the conformance tests (Category=Conformance) and writes compat-matrix.md at the repository root.

          --root <dir>            repository root (default: the nearest directory above the current one with Emu.sln)
          --trx <file>            use an existing TRX result file instead of running dotnet test
          --assembly <file>       the built Stackless.Emu.Tests.dll (default: Stackless.Emu.Tests/bin/<configuration>/*/)
          --configuration <name>  build configuration for dotnet test and the default assembly path (default: Debug)
          --results-directory <dir>  where dotnet test writes conformance.trx (default: a new temporary directory)
          --output <file>         where to write the matrix (default: <root>/compat-matrix.md)
          --distributed-trx <file>  TRX of Stackless.Emu.Orleans.Tests for the "Across machines" section (default: run them)
          --check                 do not write; regenerate to a temporary file and fail (exit 1) if it differs
                                  from the committed compat-matrix.md
          --suite-inventory <file>  the upstream test inventory for the headline's denominator (default:
                                  Stackless.Emu.Tests/Conformance/stackless-tests.json, written by
                                  tools/CompatMatrix/suite-inventory.py); tests neither ported nor listed count as failing
          --help                  this text

        Exit codes: 0 success; 1 --check found a difference; 2 usage or infrastructure error (no TRX, no assembly).
        Failing conformance tests do not fail the generator: they are reported in the matrix and on the line
        "conformance: N passed, M failed, K skipped".
        """;

    public string? Root { get; private set; }

    public string? Trx { get; private set; }

    public string? Assembly { get; private set; }

    public string Configuration { get; private set; } = "Debug";

    public string? ResultsDirectory { get; private set; }

    public string? Output { get; private set; }

    public string? DistributedTrx { get; private set; }

    public bool Check { get; private set; }

    public string? SuiteInventory { get; private set; }

    public bool Help { get; private set; }

    /// <summary>Parses <paramref name="args"/>; throws <see cref="ArgumentException"/> on a bad command line.</summary>
    public static Options Parse(IReadOnlyList<string> args)
    {
        var options = new Options();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string Value()
            {
                if (i + 1 >= args.Count)
                {
                    throw new ArgumentException($"{arg} needs a value.");
                }

                return args[++i];
            }

            switch (arg)
            {
                case "--root": options.Root = Value(); break;
                case "--trx": options.Trx = Value(); break;
                case "--assembly": options.Assembly = Value(); break;
                case "--configuration" or "-c": options.Configuration = Value(); break;
                case "--results-directory": options.ResultsDirectory = Value(); break;
                case "--output" or "-o": options.Output = Value(); break;
                case "--distributed-trx": options.DistributedTrx = Value(); break;
                case "--check": options.Check = true; break;
                case "--suite-inventory": options.SuiteInventory = Value(); break;
                case "--help" or "-h": options.Help = true; break;
                default: throw new ArgumentException($"Unknown option {arg}.");
            }
        }

        return options;
    }
}
