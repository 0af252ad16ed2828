using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

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

