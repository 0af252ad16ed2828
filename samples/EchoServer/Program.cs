// EchoServer: an echo server whose connections are soft tasklets on ONE scheduler thread, driven by an in-process
// load generator, measured next to a plain async/await socket server (thread pool) under the same load.
//
// Each connection needs two file descriptors here (the client end and the server end), so 10,000 connections need
// ~20,000 fds plus a few hundred for the runtime. The sample raises the soft RLIMIT_NOFILE to the hard limit and, if
// that is still too low, runs as many connections as fit and says so.
//
// Usage: dotnet run --project samples/EchoServer [connections] [roundTripsPerConnection]
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Stackless.Emu;
using Stackless.Emu.Monkeypatch;

const int MessageSize = 64;
var requested = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10_000;
var roundTrips = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10;

using var watchdog = new Timer(
    _ =>
    {
        Console.Error.WriteLine("EchoServer: did not finish within 240 s; giving up.");
        Environment.Exit(2);
    },
    null,
    TimeSpan.FromSeconds(240),
    Timeout.InfiniteTimeSpan);

var fdLimit = FileDescriptors.RaiseLimit();
var connections = requested;
// Descriptors already open (runtime, console, epoll, ...) plus headroom for the listeners and the runtime's own.
var reserve = (OperatingSystem.IsLinux() ? Directory.GetFiles("/proc/self/fd").Length : 50) + 100;
if (fdLimit > 0 && 2 * connections + reserve > fdLimit)
{
    connections = (int)Math.Max(1, (fdLimit - reserve) / 2);
    Console.WriteLine(
        $"EchoServer: the open-file limit is {fdLimit} (hard limit); {requested} connections need ~{2 * requested + reserve} fds " +
        $"(client + server end each). Running {connections} connections instead; raise 'ulimit -n' for the full count.");
}

ThreadPool.SetMinThreads(Math.Max(Environment.ProcessorCount * 2, 8), 8);
var stackless = RunStacklessServer(connections, roundTrips);
Console.WriteLine(stackless.Describe("soft tasklets, one scheduler thread"));
var plain = await RunPlainServerAsync(connections, roundTrips);
Console.WriteLine(plain.Describe("plain async/await, thread pool    "));
return stackless.Ok && plain.Ok ? 0 : 1;

static Result RunStacklessServer(int connections, int roundTrips)
{
    Result? result = null;
    var thread = new Thread(() =>
    {
        using var listener = new CooperativeTcpListener(IPAddress.Loopback, 0);
        listener.Start(backlog: 4096);
        var open = 0;
        var peak = 0;
        var accepted = 0;
        var acceptor = Tasklet.Spawn(async () =>
        {
            while (accepted < connections)
            {
                var socket = await listener.AcceptSocketAsync();
                accepted++;
                socket.NoDelay = true;
                Tasklet.Spawn(async () =>
                {
                    open++;
                    peak = Math.Max(peak, open);
                    var buffer = new byte[MessageSize * 2];
                    try
                    {
                        int n;
                        while ((n = await socket.ReceiveAsync(buffer)) > 0)
                        {
                            await socket.SendAsync(buffer.AsMemory(0, n));
                        }
                    }
                    catch (SocketException)
                    {
                        // A reset by the load generator ends the connection.
                    }
                    finally
                    {
                        socket.Dispose();
                        open--;
                    }
                });
            }
        });

        // Main drives the scheduler (all soft tasklets) while the load generator runs on the thread pool.
        var load = Task.Run(() => LoadGenerator.RunAsync(listener.Port, connections, roundTrips, () => open));
        var stats = Scheduler.WaitFor(load);
        if (acceptor.Alive)
        {
            Cooperative.Kill(acceptor);
        }

        Scheduler.Run(); // the echo tasklets see their clients' close and end
        result = stats with { PeakServerConnections = peak };
    })
    { Name = "Stackless scheduler" };
    thread.Start();
    thread.Join();
    return result!;
}

static async Task<Result> RunPlainServerAsync(int connections, int roundTrips)
{
    using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
    listener.Listen(4096);
    var open = 0;
    var peak = 0;
    var handlers = new List<Task>(connections);
    var acceptLoop = Task.Run(async () =>
    {
        for (var i = 0; i < connections; i++)
        {
            var socket = await listener.AcceptAsync();
            socket.NoDelay = true;
            handlers.Add(Task.Run(async () =>
            {
                var now = Interlocked.Increment(ref open);
                InterlockedMax(ref peak, now);
                var buffer = new byte[MessageSize * 2];
                try
                {
                    int n;
                    while ((n = await socket.ReceiveAsync(buffer)) > 0)
                    {
                        await socket.SendAsync(buffer.AsMemory(0, n));
                    }
                }
                catch (SocketException)
                {
                }
                finally
                {
                    socket.Dispose();
                    Interlocked.Decrement(ref open);
                }
            }));
        }
    });
    var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
    var stats = await LoadGenerator.RunAsync(port, connections, roundTrips, () => Volatile.Read(ref open));
    await acceptLoop;
    await Task.WhenAll(handlers).WaitAsync(TimeSpan.FromSeconds(30));
    return stats with { PeakServerConnections = Volatile.Read(ref peak) };

    static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}

internal sealed record Result(int Connections, int ConcurrentAtPeak, long RoundTrips, long Errors, TimeSpan ConnectTime, TimeSpan EchoTime)
{
    public int PeakServerConnections { get; init; }

    public bool Ok => Errors == 0 && RoundTrips > 0;

    public string Describe(string label) =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"{label}: {Connections} connections (peak {PeakServerConnections} open on the server, all {ConcurrentAtPeak} clients connected at once), " +
            $"connect {ConnectTime.TotalSeconds:F2} s; {RoundTrips} round trips of {64} B in {EchoTime.TotalSeconds:F2} s = " +
            $"{RoundTrips / EchoTime.TotalSeconds:F0} round trips/s ({2.0 * RoundTrips * 64 / EchoTime.TotalSeconds / 1e6:F2} MB/s); errors {Errors}.");
}

/// <summary>Opens every connection, waits until all are open at once, then runs the echo round trips on all of them.</summary>
internal static class LoadGenerator
{
    public static async Task<Result> RunAsync(int port, int connections, int roundTrips, Func<int> serverOpen)
    {
        var sockets = new Socket[connections];
        var connectGate = new SemaphoreSlim(256);
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, connections).Select(async i =>
        {
            await connectGate.WaitAsync();
            try
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(IPAddress.Loopback, port);
                sockets[i] = socket;
            }
            finally
            {
                connectGate.Release();
            }
        }));
        var connectTime = watch.Elapsed;

        // Every client is connected now; wait (bounded) until the server has accepted them all.
        for (var i = 0; i < 1000 && serverOpen() < connections; i++)
        {
            await Task.Delay(10);
        }

        var concurrent = serverOpen();
        long done = 0;
        long errors = 0;
        watch.Restart();
        await Task.WhenAll(sockets.Select(async (socket, i) =>
        {
            var message = new byte[64];
            var reply = new byte[64];
            try
            {
                for (var r = 0; r < roundTrips; r++)
                {
                    BitConverter.TryWriteBytes(message, i);
                    BitConverter.TryWriteBytes(message.AsSpan(4), r);
                    await socket.SendAsync(message);
                    var got = 0;
                    while (got < reply.Length)
                    {
                        var n = await socket.ReceiveAsync(reply.AsMemory(got));
                        if (n == 0)
                        {
                            throw new IOException("server closed early");
                        }

                        got += n;
                    }

                    if (!reply.AsSpan().SequenceEqual(message))
                    {
                        Interlocked.Increment(ref errors);
                    }

                    Interlocked.Increment(ref done);
                }
            }
            catch (Exception ex) when (ex is IOException or SocketException)
            {
                Interlocked.Increment(ref errors);
            }
            finally
            {
                socket.Dispose();
            }
        }));
        var echoTime = watch.Elapsed;
        connectGate.Dispose();
        return new Result(connections, concurrent, done, errors, connectTime, echoTime);
    }
}

/// <summary>Raises the soft open-file limit to the hard limit (Linux); returns the resulting limit, or -1 if unknown.</summary>
internal static partial class FileDescriptors
{
    private const int RlimitNofile = 7;

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static partial int GetRLimit(int resource, out RLimit limit);

    [LibraryImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    private static partial int SetRLimit(int resource, in RLimit limit);

    public static long RaiseLimit()
    {
        if (!OperatingSystem.IsLinux() || GetRLimit(RlimitNofile, out var limit) != 0)
        {
            return -1;
        }

        if (limit.Current < limit.Maximum)
        {
            var raised = limit with { Current = limit.Maximum };
            if (SetRLimit(RlimitNofile, raised) == 0)
            {
                limit = raised;
            }
        }

        return (long)Math.Min(limit.Current, long.MaxValue);
    }
}
