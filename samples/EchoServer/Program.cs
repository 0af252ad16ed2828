// EchoServer: an echo server whose connections are soft tasklets on ONE scheduler thread, measured next to a plain
// async/await socket server (thread pool) under the same load, in the same run.
//
// The load generator runs in a child process (this program started again with the argument "client"), so the server
// process holds one file descriptor per connection: 10,000 connections fit the open-file limit of 20,000 here, where
// an in-process generator (two fds per connection) could not. Server and client talk over the child's standard
// streams: the client opens every connection and reports "connected"; once the server has accepted them all it
// answers "go", the client runs the round trips on all connections at once and reports "done", then closes them.
//
// In the Stackless server the main tasklet drives the child process with the cooperative wrappers (CooperativeProcess:
// ReadLine and WaitForExit suspend only main) while the soft tasklets serve the connections, and it ends the acceptor
// with a plain Tasklet.Kill, which cancels the pending accept (Tasklet.CancellationToken).
//
// Usage: dotnet run -c Release --project samples/EchoServer [connections] [roundTripsPerConnection]
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Stackless.Emu;
using Stackless.Emu.Monkeypatch;

if (args.Length > 0 && args[0] == "client")
{
    return await LoadClient.RunAsync(args);
}

var requested = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10_000;
var roundTrips = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10;

using var watchdog = new Timer(
    _ =>
    {
        Console.Error.WriteLine("EchoServer: did not finish within 300 s; giving up.");
        Environment.Exit(2);
    },
    null,
    TimeSpan.FromSeconds(300),
    Timeout.InfiniteTimeSpan);

var fdLimit = FileDescriptors.RaiseLimit();
var connections = requested;
// Descriptors already open (runtime, console, epoll, ...) plus headroom for the listener, the child's pipes and the runtime.
var reserve = FileDescriptors.Open() + 100;
if (fdLimit > 0 && connections + reserve > fdLimit)
{
    connections = (int)Math.Max(1, fdLimit - reserve);
    Console.WriteLine(
        $"EchoServer: the open-file limit is {fdLimit}; {requested} connections need ~{requested + reserve} fds in the server. " +
        $"Running {connections} connections instead; raise 'ulimit -n' for the full count.");
}

Console.WriteLine(string.Create(
    CultureInfo.InvariantCulture,
    $"EchoServer: {connections} connections x {roundTrips} round trips of {Protocol.MessageSize} B; load generator in a child process; " +
    $"{Environment.ProcessorCount} cores; open-file limit {fdLimit}."));
ThreadPool.SetMinThreads(Math.Max(Environment.ProcessorCount * 2, 8), 8);
var stackless = StacklessServer.Run(connections, roundTrips);
Console.WriteLine(stackless.Describe("soft tasklets, one scheduler thread"));
var plain = await PlainServer.RunAsync(connections, roundTrips);
Console.WriteLine(plain.Describe("plain async/await, thread pool    "));
Console.WriteLine(string.Create(
    CultureInfo.InvariantCulture,
    $"same run: soft tasklets {stackless.Connections} connections, {stackless.RoundTripsPerSecond:F0} round trips/s; " +
    $"plain async/await {plain.Connections} connections, {plain.RoundTripsPerSecond:F0} round trips/s."));
return stackless.Ok && plain.Ok ? 0 : 1;

/// <summary>The echo server as soft tasklets on one scheduler thread; the main tasklet drives the load client.</summary>
internal static class StacklessServer
{
    public static Result Run(int connections, int roundTrips)
    {
        Result? result = null;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                result = Serve(connections, roundTrips);
            }
#pragma warning disable CA1031 // Reported by the caller.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                error = ex;
            }
        })
        { Name = "Stackless scheduler" };
        thread.Start();
        thread.Join();
        if (error is not null)
        {
            throw new InvalidOperationException("The Stackless server failed.", error);
        }

        return result!;
    }

    private static Result Serve(int connections, int roundTrips)
    {
        using var listener = new CooperativeTcpListener(IPAddress.Loopback, 0);
        listener.Start(backlog: 4096);
        var open = 0;
        var acceptor = Tasklet.Spawn(async () =>
        {
            while (true)
            {
                var socket = await listener.AcceptSocketAsync();
                socket.NoDelay = true;
                open++;
                Tasklet.Spawn(async () =>
                {
                    var buffer = new byte[Protocol.MessageSize * 2];
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
                        // A reset by the client ends the connection.
                    }
                    finally
                    {
                        socket.Dispose();
                        open--;
                    }
                });
            }
        });

        // Main (this thread's main tasklet) drives the client with blocking-looking calls that suspend only main.
        using var client = CooperativeProcess.Start(Protocol.ClientStartInfo(listener.Port, connections, roundTrips));
        var connected = Protocol.Parse(client.StandardOutputReader.ReadLine(), "connected");
        for (var i = 0; i < 1000 && open < connected.Count; i++)
        {
            Cooperative.Sleep(10);
        }

        var peak = open;
        var fds = FileDescriptors.Open();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        client.StandardInputWriter.WriteLine("go");
        var done = Protocol.Parse(client.StandardOutputReader.ReadLine(), "done");
        cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        client.WaitForExit();

        acceptor.Kill(); // interrupts the pending accept: the core cancels the tasklet's CancellationToken
        Scheduler.Run(); // the echo tasklets see their clients' close and end
        return new Result(peak, fds, connected, done, cpu, client.ExitCode);
    }
}

/// <summary>The same echo server with plain async/await on the thread pool.</summary>
internal static class PlainServer
{
    public static async Task<Result> RunAsync(int connections, int roundTrips)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(4096);
        var open = 0;
        var handlers = new List<Task>(connections);
        using var stop = new CancellationTokenSource();
        var acceptLoop = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    var socket = await listener.AcceptAsync(stop.Token);
                    socket.NoDelay = true;
                    Interlocked.Increment(ref open);
                    handlers.Add(Task.Run(() => EchoAsync(socket)));
                }
            }
            catch (OperationCanceledException)
            {
            }
        });

        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        using var client = Process.Start(Protocol.ClientStartInfo(port, connections, roundTrips))!;
        var connected = Protocol.Parse(await client.StandardOutput.ReadLineAsync(), "connected");
        for (var i = 0; i < 1000 && Volatile.Read(ref open) < connected.Count; i++)
        {
            await Task.Delay(10);
        }

        var peak = Volatile.Read(ref open);
        var fds = FileDescriptors.Open();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        await client.StandardInput.WriteLineAsync("go");
        await client.StandardInput.FlushAsync();
        var done = Protocol.Parse(await client.StandardOutput.ReadLineAsync(), "done");
        cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        await client.WaitForExitAsync();

        await stop.CancelAsync();
        await acceptLoop;
        await Task.WhenAll(handlers).WaitAsync(TimeSpan.FromSeconds(60));
        return new Result(peak, fds, connected, done, cpu, client.ExitCode);

        async Task EchoAsync(Socket socket)
        {
            var buffer = new byte[Protocol.MessageSize * 2];
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
        }
    }
}

/// <summary>What a server measured: connections open at once, its fds, and the client's report.</summary>
internal sealed record Result(int Connections, int ServerFds, Report Connected, Report Done, TimeSpan ServerCpu, int ClientExitCode)
{
    public long RoundTrips => Done.Count;

    public double RoundTripsPerSecond => Done.Count / Done.Seconds;

    public bool Ok => Done.Errors == 0 && Connected.Errors == 0 && Done.Count > 0 && ClientExitCode == 0;

    public string Describe(string label) =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"{label}: {Connections} connections open at once ({ServerFds} fds in the server process), connect {Connected.Seconds:F2} s; " +
            $"{RoundTrips} round trips of {Protocol.MessageSize} B in {Done.Seconds:F2} s = {RoundTripsPerSecond:F0} round trips/s " +
            $"({2.0 * RoundTrips * Protocol.MessageSize / Done.Seconds / 1e6:F2} MB/s), server CPU {ServerCpu.TotalSeconds:F2} s; " +
            $"errors {Connected.Errors + Done.Errors}.");
}

/// <summary>A line of the client's report: "connected|done count errors seconds".</summary>
internal sealed record Report(long Count, long Errors, double Seconds);

/// <summary>The server/client protocol over the child's standard streams, and how to start the child.</summary>
internal static class Protocol
{
    public const int MessageSize = 64;

    /// <summary>This program again, with "client port connections roundTrips".</summary>
    public static ProcessStartInfo ClientStartInfo(int port, int connections, int roundTrips)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("The path of this executable is unknown.");
        var info = new ProcessStartInfo(self)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            // Started as 'dotnet EchoServer.dll': start the child the same way.
            info.ArgumentList.Add(typeof(Protocol).Assembly.Location);
        }

        foreach (var argument in new object[] { "client", port, connections, roundTrips }.Select(a => Convert.ToString(a, CultureInfo.InvariantCulture)!))
        {
            info.ArgumentList.Add(argument);
        }

        return info;
    }

    public static string Format(string kind, long count, long errors, TimeSpan elapsed) =>
        string.Create(CultureInfo.InvariantCulture, $"{kind} {count} {errors} {elapsed.TotalSeconds:R}");

    public static Report Parse(string? line, string kind)
    {
        var parts = line?.Split(' ');
        if (parts is not { Length: 4 } || parts[0] != kind)
        {
            throw new InvalidOperationException($"The load client sent '{line}' where '{kind} ...' was expected.");
        }

        return new Report(
            long.Parse(parts[1], CultureInfo.InvariantCulture),
            long.Parse(parts[2], CultureInfo.InvariantCulture),
            double.Parse(parts[3], CultureInfo.InvariantCulture));
    }
}

/// <summary>
/// The child process: opens every connection (at most 256 connects in flight), reports, waits for "go", runs the
/// echo round trips on all connections at once (checking every reply), reports, and closes them.
/// </summary>
internal static class LoadClient
{
    public static async Task<int> RunAsync(string[] args)
    {
        var port = int.Parse(args[1], CultureInfo.InvariantCulture);
        var connections = int.Parse(args[2], CultureInfo.InvariantCulture);
        var roundTrips = int.Parse(args[3], CultureInfo.InvariantCulture);
        FileDescriptors.RaiseLimit();
        ThreadPool.SetMinThreads(Math.Max(Environment.ProcessorCount * 2, 8), 8);

        var sockets = new Socket?[connections];
        long connectErrors = 0;
        using var connectGate = new SemaphoreSlim(256);
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, connections).Select(async i =>
        {
            await connectGate.WaitAsync();
            try
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(IPAddress.Loopback, port);
                    sockets[i] = socket;
                }
                catch (SocketException)
                {
                    socket.Dispose();
                    Interlocked.Increment(ref connectErrors);
                }
            }
            finally
            {
                connectGate.Release();
            }
        }));
        Console.WriteLine(Protocol.Format("connected", connections - connectErrors, connectErrors, watch.Elapsed));

        if (await Console.In.ReadLineAsync() != "go")
        {
            return 3;
        }

        long done = 0;
        long errors = 0;
        watch.Restart();
        await Task.WhenAll(sockets.Select(async (socket, i) =>
        {
            if (socket is null)
            {
                return;
            }

            var message = new byte[Protocol.MessageSize];
            var reply = new byte[Protocol.MessageSize];
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
        }));
        var echoTime = watch.Elapsed;
        foreach (var socket in sockets)
        {
            socket?.Dispose();
        }

        Console.WriteLine(Protocol.Format("done", done, errors, echoTime));
        return 0;
    }
}

/// <summary>The process's open-file limit (Linux): raise the soft limit to the hard one; count open descriptors.</summary>
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

    /// <summary>Raises the soft limit to the hard limit; returns the resulting limit, or -1 if unknown.</summary>
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

    /// <summary>The number of descriptors this process holds (Linux), or 50 as a guess elsewhere.</summary>
    public static int Open() => OperatingSystem.IsLinux() ? Directory.GetFiles("/proc/self/fd").Length : 50;
}
