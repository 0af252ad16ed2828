using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

/// <summary>The same echo server with plain async/await on the thread pool.</summary>
internal static class PlainServer
{
    public static async Task<Result> RunAsync(string label, int connections, int roundTrips)
    {
        var load = LoadAverage.Read();
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
        ThreadProfile.WaitForQuietJit(TimeSpan.FromSeconds(10));
        var profile = ThreadProfile.Take();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        await client.StandardInput.WriteLineAsync("go");
        await client.StandardInput.FlushAsync();
        var done = Protocol.Parse(await client.StandardOutput.ReadLineAsync(), "done");
        cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        var where = ThreadProfile.Take().Since(profile, done.Count);
        await client.WaitForExitAsync();

        await stop.CancelAsync();
        await acceptLoop;
        await Task.WhenAll(handlers).WaitAsync(TimeSpan.FromSeconds(60));
        return new Result(label, 0, peak, fds, connected, done, cpu.TotalSeconds, client.ExitCode, load, where);

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
