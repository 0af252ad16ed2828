using System.IO.Pipes;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Stackless.Emu.Monkeypatch;
using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Monkeypatch;

/// <summary>
/// Issue 12 item 10: in a soft tasklet, a synchronous call on a cooperative stream or socket that needs no waiting
/// completes (files, flushes, writes the send buffer or pipe takes, reads of data already there); only a call that
/// would wait raises, and it raises before starting anything.
/// </summary>
public class SoftTaskletSyncTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromMinutes(5); // hang guards only

    public sealed record Order(int Id, string Item, decimal Price, string[] Tags);

    private static readonly Order Sample = new(42, "tea", 3.5m, ["hot", "green"]);

    /// <summary>Waits (on the calling thread, not a tasklet) until <paramref name="socket"/> has data: readiness, not a timing assertion.</summary>
    private static void WaitReadable(Socket socket) => Assert.True(socket.Poll((int)Generous.TotalMicroseconds, SelectMode.SelectRead));

    [Fact]
    public void The_issue_repro_a_StreamWriter_with_AutoFlush_writes_its_byte_order_mark_synchronously() => Isolated.Run(() =>
    {
        var (a, b) = Loopback.Pair();
        using var peer = b;
        var done = false;
        Tasklet.Spawn(async () =>
        {
            var coopStream = new CooperativeStream(new NetworkStream(a, ownsSocket: true));
            await using var writer = new StreamWriter(coopStream, Encoding.UTF8) { AutoFlush = true };
            writer.WriteLine("hello");           // the BOM and the line, written synchronously
            await writer.WriteLineAsync("world");
            done = true;
        });
        Scheduler.Run();
        Assert.True(done);
        var received = ReceiveToEnd(b);
        Assert.Equal([.. Encoding.UTF8.Preamble, .. "hello\nworld\n"u8], received);
    });

    [Fact]
    public void StreamWriter_StreamReader_BinaryWriter_and_JsonSerializer_over_a_file_in_a_soft_tasklet() => Isolated.Run(() =>
    {
        var path = Path.GetTempFileName();
        try
        {
            Order? roundTrip = null;
            string? text = null;
            (int, string, double)? binary = null;
            Tasklet.Spawn(async () =>
            {
                using (var writer = new StreamWriter(CooperativeFile.Create(path), new UTF8Encoding(false)))
                {
                    writer.WriteLine("first");
                    writer.Write("second");
                    writer.Flush();
                }

                using (var reader = new StreamReader(CooperativeFile.OpenRead(path)))
                {
                    text = reader.ReadToEnd();
                }

                using (var stream = CooperativeFile.Create(path))
                using (var writer = new BinaryWriter(stream))
                {
                    writer.Write(7);
                    writer.Write("seven");
                    writer.Write(7.5);
                }

                using (var reader = new BinaryReader(CooperativeFile.OpenRead(path)))
                {
                    binary = (reader.ReadInt32(), reader.ReadString(), reader.ReadDouble());
                }

                using (var stream = CooperativeFile.Create(path))
                {
                    JsonSerializer.Serialize(stream, Sample);
                }

                using (var stream = CooperativeFile.OpenRead(path))
                {
                    roundTrip = JsonSerializer.Deserialize<Order>(stream);
                }

                await Scheduler.ScheduleAsync();
            });
            Scheduler.Run();
            Assert.Equal("first\nsecond", text);
            Assert.Equal((7, "seven", 7.5), binary);
            Assert.Equal(Sample with { Tags = roundTrip!.Tags }, roundTrip);
            Assert.Equal(Sample.Tags, roundTrip.Tags);
        }
        finally
        {
            File.Delete(path);
        }
    });

    [Fact]
    public void StreamReader_over_a_socket_reads_what_is_there_and_refuses_to_wait() => Isolated.Run(() =>
    {
        var (a, b) = Loopback.Pair();
        using var peer = b;
        b.Send([.. "line one\nline two\n"u8]);
        WaitReadable(a);
        var log = new List<string>();
        Tasklet.Spawn(async () =>
        {
            await using var stream = new CooperativeStream(new NetworkStream(a, ownsSocket: true));
            using var reader = new StreamReader(stream, new UTF8Encoding(false), false, 64, leaveOpen: true);
            log.Add(reader.ReadLine()!);
            log.Add(reader.ReadLine()!);

            // Nothing more is there: the read raises before reading anything, and the reader can go on.
            var error = Assert.Throws<InvalidOperationException>(reader.ReadLine);
            Assert.Contains("would wait", error.Message, StringComparison.Ordinal);
            peer.Send([.. "three\n"u8]);
            log.Add((await reader.ReadLineAsync())!);
        });
        Scheduler.Run();
        Assert.Equal(["line one", "line two", "three"], log);
    });

    [Fact]
    public void JsonSerializer_and_BinaryWriter_write_synchronously_to_a_socket_in_a_soft_tasklet() => Isolated.Run(() =>
    {
        var (a, b) = Loopback.Pair();
        using var peer = b;
        Tasklet.Spawn(async () =>
        {
            using var stream = new CooperativeStream(new NetworkStream(a, ownsSocket: true));
            using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
            {
                writer.Write(JsonSerializer.SerializeToUtf8Bytes(Sample).Length);
            }

            JsonSerializer.Serialize(stream, Sample);
            await Scheduler.ScheduleAsync();
        });
        Scheduler.Run();
        var received = ReceiveToEnd(b);
        Assert.Equal(received.Length - 4, BitConverter.ToInt32(received, 0));
        var order = JsonSerializer.Deserialize<Order>(received.AsSpan(4));
        Assert.Equal(Sample.Item, order!.Item);
        Assert.Equal(Sample.Tags, order.Tags);
    });

    [Fact]
    public void BinaryWriter_and_JsonSerializer_over_an_anonymous_pipe_in_a_soft_tasklet() => Isolated.Run(() =>
    {
        using var server = new AnonymousPipeServerStream(PipeDirection.Out);
        using var client = new AnonymousPipeClientStream(PipeDirection.In, server.ClientSafePipeHandle);
        var results = new List<object>();
        Tasklet.Spawn(async () =>
        {
            var output = new CooperativeStream(server, leaveOpen: true);
            var input = new CooperativeStream(client, leaveOpen: true);
            using (var writer = new BinaryWriter(output, Encoding.UTF8, leaveOpen: true))
            {
                writer.Write(12345);
                writer.Write("through the pipe");
                writer.Flush();
            }

            using (var reader = new BinaryReader(input, Encoding.UTF8, leaveOpen: true))
            {
                results.Add(reader.ReadInt32());
                results.Add(reader.ReadString());
            }

            Assert.Throws<InvalidOperationException>(() => input.ReadByte()); // empty pipe: it would wait

            JsonSerializer.Serialize(output, Sample);
            await output.FlushAsync();
            server.Dispose(); // end of the stream for the reader
            results.Add(JsonSerializer.Deserialize<Order>(input)!);
        });
        Scheduler.Run();
        Assert.Equal(12345, results[0]);
        Assert.Equal("through the pipe", results[1]);
        Assert.Equal(Sample.Item, ((Order)results[2]).Item);
    });

    [Fact]
    public void A_named_pipe_reads_what_is_there_and_writes_synchronously_in_a_soft_tasklet() => Isolated.Run(() =>
    {
        var name = "stackless-" + Guid.NewGuid().ToString("N");
        using var server = new NamedPipeServerStream(name, PipeDirection.InOut, 1, PipeTransmissionMode.Byte, PipeOptions.Asynchronous);
        using var client = new NamedPipeClientStream(".", name, PipeDirection.InOut, PipeOptions.Asynchronous);
        var connected = server.WaitForConnectionAsync();
        client.Connect();
        connected.GetAwaiter().GetResult();
        string? line = null;
        string? second = null;
        Tasklet.Spawn(async () =>
        {
            var toClient = new StreamWriter(new CooperativeStream(server, leaveOpen: true), new UTF8Encoding(false)) { AutoFlush = true };
            toClient.WriteLine("over a named pipe");
            var fromServer = new StreamReader(new CooperativeStream(client, leaveOpen: true));
            line = await fromServer.ReadLineAsync();
            Assert.Throws<InvalidOperationException>(() => fromServer.ReadLine()); // nothing there: it would wait
            toClient.WriteLine("second");
            second = fromServer.ReadLine(); // already there: read synchronously
        });
        Scheduler.Run();
        Assert.Equal("over a named pipe", line);
        Assert.Equal("second", second);
    });

    [Fact]
    public void A_write_larger_than_the_send_buffer_is_accepted_kept_in_order_and_not_lost_on_dispose() => Isolated.Run(() =>
    {
        var (a, b) = Loopback.Pair();
        using var peer = b;
        a.SendBufferSize = b.ReceiveBufferSize = 1 << 16; // so 8 MB cannot all fit in the kernel's buffers
        var big = new byte[8 << 20];
        new Random(1).NextBytes(big);
        var tail = "tail"u8.ToArray();
        byte[]? received = null;
        var collector = new Thread(() => received = ReceiveToEnd(b)) { IsBackground = true };
        var log = new List<string>();
        Tasklet.Spawn(async () =>
        {
            var stream = new CooperativeStream(new NetworkStream(a, ownsSocket: true));
            stream.Write(big, 0, big.Length); // more than the socket takes at once: accepted, the rest in flight
            stream.Flush();                   // a socket's flush does not wait for the peer
            var second = Assert.Throws<InvalidOperationException>(() => stream.Write(tail, 0, tail.Length));
            Assert.Contains("an earlier write is still in flight", second.Message, StringComparison.Ordinal);
            log.Add("second write refused");
            collector.Start();
            await stream.WriteAsync(tail); // goes after the write in flight
            stream.Write(tail, 0, tail.Length);
            stream.Dispose();               // closes once everything accepted has gone out
            log.Add("disposed");
        });
        Scheduler.Run();
        Assert.True(collector.Join(Generous));
        Assert.Equal(["second write refused", "disposed"], log);
        Assert.Equal(big.Length + (2 * tail.Length), received!.Length);
        Assert.True(received.AsSpan(0, big.Length).SequenceEqual(big));
        Assert.True(received.AsSpan(big.Length).SequenceEqual([.. tail, .. tail]));
    });

    [Fact]
    public void Dispose_with_a_write_in_flight_closes_after_the_last_byte() => Isolated.Run(() =>
    {
        var (a, b) = Loopback.Pair();
        using var peer = b;
        a.SendBufferSize = b.ReceiveBufferSize = 1 << 16;
        var big = new byte[8 << 20];
        new Random(2).NextBytes(big);
        Tasklet.Spawn(async () =>
        {
            using (var writer = new BinaryWriter(new CooperativeStream(new NetworkStream(a, ownsSocket: true))))
            {
                writer.Write(big);
            }

            await Scheduler.ScheduleAsync();
        });
        Scheduler.Run();
        Assert.False(a.SafeHandle.IsClosed, "the close waits for the bytes in flight");
        var received = ReceiveToEnd(b);
        Assert.True(received.AsSpan().SequenceEqual(big));
        Assert.True(SpinWait.SpinUntil(() => a.SafeHandle.IsClosed, Generous));
    });

    [Fact]
    public void CooperativeTcpClient_closes_after_a_write_left_in_flight() => Isolated.Run(() =>
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var client = new CooperativeTcpClient();
        client.Connect(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        using var peer = listener.AcceptSocket();
        client.Client.SendBufferSize = peer.ReceiveBufferSize = 1 << 16;
        var big = new byte[4 << 20];
        new Random(3).NextBytes(big);
        Tasklet.Spawn(async () =>
        {
            client.GetStream().Write(big, 0, big.Length); // accepted, mostly in flight
            client.Dispose();                             // the close waits for the last byte
            await Scheduler.ScheduleAsync();
        });
        Scheduler.Run();
        Assert.True(ReceiveToEnd(peer).AsSpan().SequenceEqual(big));
    });

    [Fact]
    public void CooperativeSocket_sync_forms_in_a_soft_tasklet() => Isolated.Run(() =>
    {
        using var listener = new CooperativeSocket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var log = new List<string>();
        Tasklet.Spawn(async () =>
        {
            Assert.Contains("no connection is waiting", Assert.Throws<InvalidOperationException>(listener.Accept).Message, StringComparison.Ordinal);
            await client.ConnectAsync(listener.LocalEndPoint!);
            WaitReadable(listener.Inner);
            using var accepted = listener.Accept();
            Assert.Equal(5, accepted.Send("hello"u8));
            var buffer = new byte[16];
            Assert.Throws<InvalidOperationException>(() => accepted.Receive(buffer));
            client.Send("ping"u8);
            WaitReadable(accepted.Inner);
            var n = accepted.Receive(buffer);
            log.Add(Encoding.ASCII.GetString(buffer, 0, n));
            Assert.Throws<InvalidOperationException>(() => accepted.Connect(listener.LocalEndPoint!));
        });
        Scheduler.Run();
        Assert.Equal(["ping"], log);
        var got = new byte[5];
        Assert.Equal(5, client.Receive(got));
        Assert.Equal("hello"u8.ToArray(), got);
    });

    [Fact]
    public void CooperativeTcpListener_accepts_a_waiting_connection_synchronously_in_a_soft_tasklet() => Isolated.Run(() =>
    {
        using var listener = new CooperativeTcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var client = new TcpClient();
        var accepted = false;
        Tasklet.Spawn(async () =>
        {
            Assert.Throws<InvalidOperationException>(() => listener.AcceptTcpClient());
            await client.ConnectAsync(IPAddress.Loopback, listener.Port);
            WaitReadable(listener.Inner.Server);
            using var connection = listener.AcceptTcpClient();
            accepted = connection.Connected;
        });
        Scheduler.Run();
        Assert.True(accepted);
    });

    /// <summary>Reads <paramref name="socket"/> until the peer closes, with plain blocking calls (not a tasklet).</summary>
    private static byte[] ReceiveToEnd(Socket socket)
    {
        using var all = new MemoryStream();
        var buffer = new byte[1 << 16];
        int n;
        while ((n = socket.Receive(buffer)) > 0)
        {
            all.Write(buffer, 0, n);
        }

        return all.ToArray();
    }
}
