using System.Globalization;
using BenchmarkDotNet.Running;
using Stackless.Emu.Benchmarks;

var mode = args.Length > 0 ? args[0] : "";
switch (mode)
{
    case "macro":
        return Macro.Run(args[1..]);
    case "scale-out":
        return ScaleOut.Run(args[1..]);
    case "echo":
        return Echo.Run(args[1..]);
    case "foreign-await":
        return ForeignAwaitCost.Run(args[1..]);
    case "persistence":
        return Persistence.Run(args[1..]);
    case "spawn-child":
        return Macro.SpawnChildMain(args[1], int.Parse(args[2], CultureInfo.InvariantCulture));
    case "round-trip-minima":
        return RoundTripMinima.Run(args[1..]);
    case "micro":
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(Macro).Assembly).Run(args[1..]);
        MicroReport.Write(summaries);
        return 0;
    case "micro-report":
        MicroReport.WriteFromArtifacts();
        return 0;
    default:
        Console.Error.WriteLine("usage: Stackless.Emu.Benchmarks macro [--quick] [--full] | persistence [--quick] | scale-out [--quick] | foreign-await [--quick] | echo [--quick] | round-trip-minima [samples] | micro [BenchmarkDotNet switcher args, e.g. --filter '*' --job short]");
        return 2;
}
