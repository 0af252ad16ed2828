using System.Diagnostics;
using System.Net;
using Stackless.Emu;
using Stackless.Emu.Monkeypatch;

/// <summary>
/// The echo server on tasklets: an accept loop (a soft tasklet of this thread's scheduler) deals each new connection's
/// tasklet to a <see cref="SchedulerPool"/>, while the main tasklet drives the load client with blocking-looking calls
/// that suspend only main (CooperativeProcess). Soft connections are <c>async TaskletFrame</c> methods over
/// <see cref="CooperativeSocket"/>; hard ones run the legacy blocking handler on threads of their own.
/// </summary>
internal static class TaskletServer
{
    private static int s_open;

    /// <summary>Runs the server on a fresh thread (a fresh scheduler) and returns what it measured.</summary>
    public static Result Run(string label, int schedulerThreads, bool hard, int connections, int roundTrips)
    {
        Result? result = null;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                result = Serve(label, schedulerThreads, hard, connections, roundTrips);
            }
#pragma warning disable CA1031 // Reported by the caller.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                error = ex;
            }
        })
        { Name = "Stackless main" };
        thread.Start();
        thread.Join();
        if (error is not null)
        {
            throw new InvalidOperationException($"The server '{label}' failed.", error);
        }

        return result!;
    }

    private static Result Serve(string label, int schedulerThreads, bool hard, int connections, int roundTrips)
    {
        var load = LoadAverage.Read();
        s_open = 0;
        using var listener = new CooperativeTcpListener(IPAddress.Loopback, 0);
        listener.Start(backlog: 4096);
        using var pool = new SchedulerPool(schedulerThreads, SchedulerPoolDealing.RoundRobin, "echo");
        var acceptor = Tasklet.Spawn(async () =>
        {
            while (true)
            {
                var socket = await listener.AcceptSocketAsync();
                socket.NoDelay = true;
                Interlocked.Increment(ref s_open);
                if (hard)
                {
                    pool.PostHard(() => ServeBlocking(socket));
                }
                else
                {
                    pool.PostFrame(() => EchoAsync(socket));
                }
            }
        });

        using var client = CooperativeProcess.Start(Protocol.ClientStartInfo(listener.Port, connections, roundTrips));
        var connected = Protocol.Parse(client.StandardOutputReader.ReadLine(), "connected");
        for (var i = 0; i < 1000 && Volatile.Read(ref s_open) < connected.Count; i++)
        {
            Cooperative.Sleep(10);
        }

        var peak = Volatile.Read(ref s_open);
        var fds = FileDescriptors.Open();
        ThreadProfile.WaitForQuietJit(TimeSpan.FromSeconds(10));
        var profile = ThreadProfile.Take();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        client.StandardInputWriter.WriteLine("go");
        var done = Protocol.Parse(client.StandardOutputReader.ReadLine(), "done");
        cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        var where = ThreadProfile.Take().Since(profile, done.Count);
        client.WaitForExit();

        acceptor.Kill(); // interrupts the pending accept: the core cancels the tasklet's CancellationToken
        for (var i = 0; i < 1000 && Volatile.Read(ref s_open) > 0; i++)
        {
            Cooperative.Sleep(10); // the connections see their clients' close and end
        }

        pool.Join(); // raises what escaped a connection's tasklet; kills any still open, running their finally
        return new Result(label, schedulerThreads, peak, fds, connected, done, cpu.TotalSeconds, client.ExitCode, load, where);
    }

    /// <summary>One connection as a soft tasklet: a <c>TaskletFrame</c> method, the fast path for foreign awaits.</summary>
    private static async TaskletFrame EchoAsync(CooperativeSocket socket)
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
        catch (System.Net.Sockets.SocketException)
        {
            // A reset by the client ends the connection.
        }
        finally
        {
            socket.Dispose();
            Interlocked.Decrement(ref s_open);
        }
    }

    /// <summary>
    /// One connection as a hard tasklet running legacy blocking code, as samples/LegacyLineServer's handler does (here
    /// echoing bytes instead of adding numbers): each blocking Read/Write over the cooperative stream suspends only
    /// this tasklet.
    /// </summary>
    private static void ServeBlocking(CooperativeSocket socket)
    {
        try
        {
            using var stream = socket.GetStream();
            var buffer = new byte[Protocol.MessageSize * 2];
            int n;
            while ((n = stream.Read(buffer, 0, buffer.Length)) > 0)
            {
                stream.Write(buffer, 0, n);
            }
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException)
        {
            // A reset by the client ends the connection.
        }
        finally
        {
            socket.Dispose();
            Interlocked.Decrement(ref s_open);
        }
    }
}
