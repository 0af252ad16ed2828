using System.Net;
using System.Net.Sockets;
using System.Text;
using Stackless.Emu.Monkeypatch;
using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Monkeypatch;

public class CooperativeSocketTests
{
    [Fact]
    public void Socket_bind_listen_accept_connect_send_receive() => Isolated.Run(() =>
    {
        using var listener = new CooperativeSocket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var endPoint = (IPEndPoint)listener.LocalEndPoint!;
        var steps = 0;
        string? echoed = null;
        Tasklet.SpawnHard(() =>
        {
            using var client = new CooperativeSocket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            client.Connect(IPAddress.Loopback, endPoint.Port);
            Assert.True(client.Connected);
            client.Send("ping"u8);
            var buffer = new byte[4];
            var n = 0;
            while (n < 4)
            {
                n += client.Receive(buffer, n, 4 - n);
            }

            echoed = Encoding.ASCII.GetString(buffer);
        });
        Tasklet.Spawn(async () =>
        {
            for (var i = 0; i < 5; i++)
            {
                steps++;
                await Scheduler.ScheduleAsync();
            }
        });

        // Main accepts and echoes with the sync forms while the tasklets run.
        using var server = listener.Accept();
        var data = new byte[4];
        var got = 0;
        while (got < 4)
        {
            got += server.Receive(data.AsSpan(got));
        }

        Assert.Equal(4, server.Send(data));
        Scheduler.Run();
        Assert.Equal("ping", echoed);
        Assert.Equal(5, steps);
    });

    [Fact]
    public void TcpListener_and_TcpClient_exchange_lines_between_hard_and_soft_tasklets() => Isolated.Run(() =>
    {
        using var listener = new CooperativeTcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var replies = new List<string>();
        Tasklet.SpawnHard(() =>
        {
            using var connection = listener.AcceptTcpClient();
            using var reader = new StreamReader(connection.GetStream());
            using var writer = new StreamWriter(connection.GetStream()) { AutoFlush = true };
            string? line;
            while ((line = reader.ReadLine()) is not null)
            {
                writer.WriteLine(line.ToUpperInvariant());
            }
        });
        Tasklet.Spawn(async () =>
        {
            using var client = new CooperativeTcpClient();
            await client.ConnectAsync(IPAddress.Loopback, listener.Port);
            var stream = client.GetStream();
            Assert.Same(stream, client.GetStream());
            using var reader = new StreamReader(stream, leaveOpen: true);
            await using var writer = new StreamWriter(stream, leaveOpen: true) { AutoFlush = true };
            foreach (var word in new[] { "one", "two", "three" })
            {
                await writer.WriteLineAsync(word);
                replies.Add((await reader.ReadLineAsync())!);
            }

            client.Client.Shutdown(SocketShutdown.Send);
        });
        Scheduler.Run();
        Assert.Equal(["ONE", "TWO", "THREE"], replies);
    });

    [Fact]
    public void A_peer_resetting_the_connection_fails_the_blocked_read() => Isolated.Run(() =>
    {
        var (a, b) = Loopback.Pair();
        using var stream = new CooperativeStream(new NetworkStream(a, ownsSocket: true));
        Exception? caught = null;
        var otherSteps = 0;
        Tasklet.SpawnHard(() =>
        {
            try
            {
                var n = stream.Read(new byte[16], 0, 16);
                caught = new InvalidOperationException("read returned " + n);
            }
            catch (IOException ex)
            {
                caught = ex;
            }
        });
        Tasklet.Spawn(async () =>
        {
            for (var i = 0; i < 3; i++)
            {
                otherSteps++;
                await Task.Delay(10);
            }

            // Abortive close: SO_LINGER 0 sends RST.
            b.LingerState = new LingerOption(true, 0);
            b.Close();
            for (var i = 0; i < 3; i++)
            {
                otherSteps++;
                await Scheduler.ScheduleAsync();
            }
        });
        Scheduler.Run();
        var io = Assert.IsType<IOException>(caught);
        Assert.Equal(SocketError.ConnectionReset, Assert.IsType<SocketException>(io.InnerException).SocketErrorCode);
        Assert.Equal(6, otherSteps);
    });
}
