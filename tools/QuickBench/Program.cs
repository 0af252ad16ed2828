// Hand-run timing of one workload against the library of any checkout (see QuickBench.csproj). Modes:
//   pingpong  soft tasklet <-> soft tasklet round trips (async Task bodies, as RoundTripBenchmarks.RoundTripSoftSoft)
//   mainsoft  main's sync Send/Receive <-> a soft tasklet (as RoundTripBenchmarks.RoundTripMainSoft)
//   pingpong-frame  pingpong with async TaskletFrame bodies (the fast body type)
//   schedule, schedule-frame  two tasklets switching with ScheduleAsync, n switches each (async Task / TaskletFrame)
// Run: dotnet run -c Release -p:EmuRoot=/path/to/a/checkout -- pingpong 2000000 5 (EmuRoot defaults to this one).
// Arguments: mode, round trips per repetition, repetitions. QUICKBENCH_GEN2=1 promotes the tasklets and channels to
// gen 2 before timing, as BenchmarkDotNet's collections between iterations do.
using System.Diagnostics;
using System.Globalization;
using Stackless.Emu;

var mode = args.Length > 0 ? args[0] : "pingpong";
var n = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 2_000_000;
var repetitions = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 5;
Channel<int> request = new(), reply = new(), start = new(), done = new();
switch (mode)
{
    case "pingpong":
        Tasklet.Spawn(() => EchoAsync(request, reply));
        Tasklet.Spawn(() => PingerAsync(start, done, request, reply));
        break;
    case "pingpong-frame":
        Tasklet.SpawnFrame(() => EchoFrameAsync(request, reply));
        Tasklet.SpawnFrame(() => PingerFrameAsync(start, done, request, reply));
        break;
    case "mainsoft":
        Tasklet.Spawn(() => EchoAsync(request, reply));
        break;
    case "schedule":
        Tasklet.Spawn(() => YielderAsync(start, done));
        Tasklet.Spawn(() => YielderAsync(request, reply));
        break;
    case "schedule-frame":
        Tasklet.SpawnFrame(() => YielderFrameAsync(start, done));
        Tasklet.SpawnFrame(() => YielderFrameAsync(request, reply));
        break;
    default:
        Console.Error.WriteLine("usage: QuickBench pingpong|pingpong-frame|mainsoft|schedule|schedule-frame [round trips] [repetitions]");
        return 2;
}

Scheduler.Run();
if (Environment.GetEnvironmentVariable("QUICKBENCH_GEN2") == "1")
{
    GC.Collect();
    GC.Collect();
    GC.Collect();
}

for (var r = 0; r < repetitions; r++)
{
    var clock = Stopwatch.StartNew();
    if (mode.StartsWith("schedule", StringComparison.Ordinal))
    {
        start.Send(n);
        request.Send(n);
        done.Receive();
        reply.Receive();
    }
    else if (mode != "mainsoft")
    {
        start.Send(n);
        done.Receive();
    }
    else
    {
        for (var i = 0; i < n; i++)
        {
            request.Send(i);
            _ = reply.Receive();
        }
    }

    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{clock.Elapsed.TotalNanoseconds / n:F1} ns per {(mode.StartsWith("schedule", StringComparison.Ordinal) ? "2 switches" : "round trip")}"));
}

// The two tasklets stay blocked for ever; the process ends here.
Environment.Exit(0);
return 0;

static async Task EchoAsync(Channel<int> request, Channel<int> reply)
{
    while (true)
    {
        var v = await request.ReceiveAsync();
        await reply.SendAsync(v);
    }
}

static async Task PingerAsync(Channel<int> start, Channel<int> done, Channel<int> request, Channel<int> reply)
{
    while (true)
    {
        var n = await start.ReceiveAsync();
        for (var i = 0; i < n; i++)
        {
            await request.SendAsync(i);
            _ = await reply.ReceiveAsync();
        }

        await done.SendAsync(0);
    }
}

static async TaskletFrame EchoFrameAsync(Channel<int> request, Channel<int> reply)
{
    while (true)
    {
        var v = await request.ReceiveAsync();
        await reply.SendAsync(v);
    }
}

static async TaskletFrame PingerFrameAsync(Channel<int> start, Channel<int> done, Channel<int> request, Channel<int> reply)
{
    while (true)
    {
        var n = await start.ReceiveAsync();
        for (var i = 0; i < n; i++)
        {
            await request.SendAsync(i);
            _ = await reply.ReceiveAsync();
        }

        await done.SendAsync(0);
    }
}

static async Task YielderAsync(Channel<int> start, Channel<int> done)
{
    while (true)
    {
        var n = await start.ReceiveAsync();
        for (var i = 0; i < n; i++)
        {
            await Scheduler.ScheduleAsync();
        }

        await done.SendAsync(0);
    }
}

static async TaskletFrame YielderFrameAsync(Channel<int> start, Channel<int> done)
{
    while (true)
    {
        var n = await start.ReceiveAsync();
        for (var i = 0; i < n; i++)
        {
            await Scheduler.ScheduleAsync();
        }

        await done.SendAsync(0);
    }
}
