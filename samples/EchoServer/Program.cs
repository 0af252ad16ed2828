// EchoServer: an echo server whose connections are tasklets, measured next to a plain async/await socket server
// (thread pool) under the same load, in the same run:
//   - soft tasklets on ONE scheduler thread and on a SchedulerPool of N (one per core): an accept loop deals each new
//     connection's tasklet (an async TaskletFrame method over CooperativeSocket) to a scheduler thread;
//   - hard tasklets on the pool, each running legacy blocking code (Stream.Read/Write, as samples/LegacyLineServer's
//     handler) on a thread of its own;
//   - plain async/await on the thread pool.
//
// The load generator runs in a child process (this program started again with the argument "client"), so the server
// process holds one file descriptor per connection: 10,000 connections fit the open-file limit of 20,000 here, where
// an in-process generator (two fds per connection) could not. Server and client talk over the child's standard
// streams: the client opens every connection and reports "connected"; once the server has accepted them all it
// answers "go", the client runs the round trips on all connections at once and reports "done", then closes them.
//
// Usage: dotnet run -c Release --project samples/EchoServer [connections] [roundTripsPerConnection]
//        [--hard-connections N] [--profile] [--no-warmup] [--json path]   (--profile: CPU per round trip by thread group)
//          (the benchmark harness's "echo" mode reads the JSON report)
using System.Globalization;
using System.Text.Json;

if (args.Length > 0 && args[0] == "client")
{
    return await LoadClient.RunAsync(args);
}

var positional = args.Where((a, i) => !a.StartsWith("--", StringComparison.Ordinal) && (i == 0 || !args[i - 1].StartsWith("--", StringComparison.Ordinal))).ToList();
var requested = positional.Count > 0 ? int.Parse(positional[0], CultureInfo.InvariantCulture) : 10_000;
var roundTrips = positional.Count > 1 ? int.Parse(positional[1], CultureInfo.InvariantCulture) : 10;
var hardRequested = Option("--hard-connections") is { } h ? int.Parse(h, CultureInfo.InvariantCulture) : Math.Min(requested, 1_000);
var jsonPath = Option("--json");
var showProfile = args.Contains("--profile");

using var watchdog = new Timer(
    _ =>
    {
        Console.Error.WriteLine("EchoServer: did not finish within 600 s; giving up.");
        Environment.Exit(2);
    },
    null,
    TimeSpan.FromSeconds(600),
    Timeout.InfiniteTimeSpan);

var fdLimit = FileDescriptors.RaiseLimit();
var connections = FitFdLimit(requested);
var hardConnections = FitFdLimit(hardRequested);
var cores = Environment.ProcessorCount;
Console.WriteLine(string.Create(
    CultureInfo.InvariantCulture,
    $"EchoServer: {connections} connections x {roundTrips} round trips of {Protocol.MessageSize} B ({hardConnections} for hard tasklets, one OS thread each); " +
    $"load generator in a child process; {cores} cores; open-file limit {fdLimit}."));
ThreadPool.SetMinThreads(Math.Max(cores * 2, 8), 8);
Stackless.Emu.StacklessSettings.HardTaskletStackSize = 256 * 1024; // thousands of threads x 256 KB of reserved stack

// Warm-up: every server once at a small size, so tiered compilation (a thread of its own) is done before the figures.
if (!args.Contains("--no-warmup"))
{
    var small = Math.Min(connections, 2_000);
    TaskletServer.Run("warm-up", 1, hard: false, small, roundTrips);
    TaskletServer.Run("warm-up", cores, hard: false, small, roundTrips);
    TaskletServer.Run("warm-up", cores, hard: true, Math.Min(hardConnections, 100), roundTrips);
    await PlainServer.RunAsync("warm-up", small, roundTrips);
}

var results = new List<Result>
{
    TaskletServer.Run("soft tasklets, 1 scheduler thread", 1, hard: false, connections, roundTrips),
};
Report(results[^1]);
results.Add(TaskletServer.Run($"soft tasklets, SchedulerPool of {cores} threads", cores, hard: false, connections, roundTrips));
Report(results[^1]);
results.Add(TaskletServer.Run($"hard tasklets, SchedulerPool of {cores} threads", cores, hard: true, hardConnections, roundTrips));
Report(results[^1]);
results.Add(await PlainServer.RunAsync("plain async/await, thread pool", connections, roundTrips));
Report(results[^1]);

var plain = results[^1];
var single = results[0];
var pooled = results[1];
Console.WriteLine(string.Create(
    CultureInfo.InvariantCulture,
    $"soft tasklets: 1 scheduler thread {single.RoundTripsPerSecond:F0} round trips/s ({single.RoundTripsPerSecond / plain.RoundTripsPerSecond:F2}x plain), " +
    $"{cores} scheduler threads {pooled.RoundTripsPerSecond:F0} round trips/s ({pooled.RoundTripsPerSecond / plain.RoundTripsPerSecond:F2}x plain, " +
    $"{pooled.CpuPerRoundTripMicroseconds / plain.CpuPerRoundTripMicroseconds:F2}x its CPU per round trip, connect {pooled.Connected.Seconds / plain.Connected.Seconds:F2}x); " +
    $"plain async/await {plain.RoundTripsPerSecond:F0} round trips/s."));

if (jsonPath is not null)
{
    File.WriteAllText(jsonPath, JsonSerializer.Serialize(results));
}

return results.All(r => r.Ok) ? 0 : 1;

void Report(Result result)
{
    Console.WriteLine(result.Describe());
    if (showProfile)
    {
        Console.WriteLine(result.Profile);
    }
}

string? Option(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

int FitFdLimit(int wanted)
{
    // Descriptors already open (runtime, console, epoll, ...) plus headroom for the listener, the child's pipes and the runtime.
    var reserve = FileDescriptors.Open() + 100;
    if (fdLimit <= 0 || wanted + reserve <= fdLimit)
    {
        return wanted;
    }

    var fitting = (int)Math.Max(1, fdLimit - reserve);
    Console.WriteLine(
        $"EchoServer: the open-file limit is {fdLimit}; {wanted} connections need ~{wanted + reserve} fds in the server. " +
        $"Running {fitting} connections instead; raise 'ulimit -n' for the full count.");
    return fitting;
}
