using System.Net.Sockets;
using Moq;
using Stackless.Emu.Monkeypatch;
using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Monkeypatch;

public class CooperativeStreamTests
{
    [Fact]
    public void Sync_read_in_a_hard_tasklet_suspends_only_that_tasklet() => Isolated.Run(() =>
    {
        var (a, b) = Loopback.Pair();
        using var reader = new CooperativeStream(new NetworkStream(a, ownsSocket: true));
        using var writer = new CooperativeStream(new NetworkStream(b, ownsSocket: true));
        var log = new List<string>();
        Tasklet.SpawnHard(() =>
        {
            var buffer = new byte[5];
            log.Add("hard reads");
            var n = reader.Read(buffer, 0, buffer.Length);
            log.Add($"hard got {n}: {System.Text.Encoding.ASCII.GetString(buffer, 0, n)}");
        });
        Tasklet.Spawn(async () =>
        {
            for (var i = 0; i < 3; i++)
            {
                log.Add("soft step " + i);
                await Scheduler.ScheduleAsync();
            }

            await writer.WriteAsync("hello"u8.ToArray());
            log.Add("soft wrote");
        });
        Scheduler.Run();
        Assert.Equal(["hard reads", "soft step 0", "soft step 1", "soft step 2", "soft wrote", "hard got 5: hello"], log);
    });

    [Fact]
    public void Sync_forms_in_a_soft_tasklet_that_would_wait_raise_a_clear_error() => Isolated.Run(() =>
    {
        var (a, b) = Loopback.Pair();
        using var peer = b;
        using var stream = new CooperativeStream(new NetworkStream(a, ownsSocket: true));
        using var unknown = new CooperativeStream(new Mock<Stream>().Object);
        Tasklet.Spawn(async () =>
        {
            var error = Assert.Throws<InvalidOperationException>(() => stream.Read(new byte[3], 0, 3));
            Assert.Equal(
                "CooperativeStream.Read() cannot block inside a soft tasklet: a soft tasklet is an async method and suspends only at an await. " +
                "Use 'await CooperativeStream.ReadAsync()' here, or run blocking code in a hard tasklet (Tasklet.SpawnHard). " +
                "(It would wait: no data is there to read yet.)",
                error.Message);
            Assert.Contains("nothing tells whether a read of", Assert.Throws<InvalidOperationException>(() => unknown.Read(new byte[3], 0, 3)).Message);
            Assert.Throws<InvalidOperationException>(() => Cooperative.Sleep(TimeSpan.FromMilliseconds(1)));
            Assert.Throws<InvalidOperationException>(() => CooperativeFile.ReadAllText("/nonexistent"));
            b.Send([7, 8, 9]);
            Assert.Equal(3, await stream.ReadAsync(new byte[3])); // the refused read consumed nothing
        });
        Scheduler.Run();
    });

    [Fact]
    public void Sync_forms_work_on_a_thread_that_never_used_tasklets()
    {
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                var (a, b) = Loopback.Pair();
                using var stream = new CooperativeStream(new NetworkStream(a, ownsSocket: true));
                using var peer = new NetworkStream(b, ownsSocket: true);
                var send = Task.Run(async () =>
                {
                    await Task.Delay(50);
                    await peer.WriteAsync("abc"u8.ToArray());
                });
                var buffer = new byte[3];
                Assert.True(Cooperative.CanBlockDirectly);
                var n = 0;
                while (n < 3)
                {
                    n += stream.Read(buffer, n, 3 - n);
                }

                Assert.Equal("abc"u8.ToArray(), buffer);
                send.Wait();
                stream.Write("xyz"u8);
                var back = new byte[3];
                peer.ReadExactly(back);
                Assert.Equal("xyz"u8.ToArray(), back);

                Cooperative.Sleep(TimeSpan.FromMilliseconds(30)); // blocks the plain thread (its length is CooperativeSleepTests' subject)
                Assert.Equal(TaskletKind.Main, Tasklet.Current.Kind);
                Assert.Equal(1, Scheduler.RunCount);
            }
            catch (Exception ex)
            {
                error = ex;
            }
        });
        thread.Start();
        Assert.True(thread.Join(Stress.HangGuard));
        Assert.Null(error);
    }

    [Fact]
    public void Bytes_written_are_bytes_read_in_order() => Isolated.Run(() =>
    {
        var (a, b) = Loopback.Pair();
        using var reader = new CooperativeStream(new NetworkStream(a, ownsSocket: true));
        using var writer = new CooperativeStream(new NetworkStream(b, ownsSocket: true));
        var data = new byte[1 << 20];
        new Random(42).NextBytes(data);
        var received = new MemoryStream();
        var softSteps = 0;
        Tasklet.SpawnHard(() =>
        {
            var random = new Random(7);
            var offset = 0;
            while (offset < data.Length)
            {
                var count = Math.Min(random.Next(1, 20_000), data.Length - offset);
                if (count % 3 == 0)
                {
                    writer.Write(data.AsSpan(offset, count));
                }
                else
                {
                    writer.Write(data, offset, count);
                }

                offset += count;
            }

            writer.Flush();
            b.Shutdown(SocketShutdown.Send);
        });
        Tasklet.SpawnHard(() =>
        {
            var buffer = new byte[7919];
            int n;
            while ((n = reader.Read(buffer, 0, buffer.Length)) > 0)
            {
                received.Write(buffer, 0, n);
            }
        });
        var done = false;
        Tasklet.Spawn(async () =>
        {
            while (!done && softSteps < 100_000)
            {
                softSteps++;
                await Scheduler.ScheduleAsync();
                await Task.Yield();
            }
        });
        Tasklet.Spawn(async () =>
        {
            while (received.Length < data.Length && softSteps < 100_000)
            {
                await Scheduler.ScheduleAsync();
                await Task.Delay(1);
            }

            done = true;
        });
        Scheduler.Run();
        Assert.Equal(data, received.ToArray());
        Assert.True(softSteps > 0);
    });

    [Fact]
    public void ReadByte_WriteByte_CopyTo_and_seeking_delegate() => Isolated.Run(() =>
    {
        var inner = new MemoryStream();
        using var stream = new CooperativeStream(inner, leaveOpen: true);
        stream.WriteByte(7);
        stream.Write([1, 2, 3]);
        Assert.Equal(4, stream.Length);
        Assert.True(stream.CanSeek);
        stream.Position = 0;
        Assert.Equal(7, stream.ReadByte());
        var copy = new MemoryStream();
        stream.CopyTo(copy);
        Assert.Equal(new byte[] { 1, 2, 3 }, copy.ToArray());
        Assert.Equal(-1, stream.ReadByte());
        stream.Seek(1, SeekOrigin.Begin);
        stream.SetLength(2);
        Assert.Equal(2, inner.Length);
        stream.Dispose();
        Assert.True(inner.CanRead, "leaveOpen keeps the inner stream open");
        new CooperativeStream(inner).Dispose();
        Assert.False(inner.CanRead);
    });

    [Fact]
    public void A_stream_failing_mid_read_raises_in_the_reading_tasklet_only() => Isolated.Run(() =>
    {
        var calls = 0;
        var mock = new Mock<Stream>();
        mock.SetupGet(s => s.CanRead).Returns(true);
        mock.Setup(s => s.ReadAsync(It.IsAny<Memory<byte>>(), It.IsAny<CancellationToken>()))
            .Returns((Memory<byte> memory, CancellationToken _) =>
            {
                calls++;
                if (calls == 1)
                {
                    "ok"u8.CopyTo(memory.Span);
                    return new ValueTask<int>(2);
                }

                return new ValueTask<int>(FailLaterAsync());
            });
        using var stream = new CooperativeStream(mock.Object);
        Exception? caught = null;
        var first = 0;
        var softSteps = 0;
        Tasklet.SpawnHard(() =>
        {
            var buffer = new byte[16];
            first = stream.Read(buffer, 0, buffer.Length);
            try
            {
                first += 100 * stream.Read(buffer, 0, buffer.Length);
            }
            catch (IOException ex)
            {
                caught = ex;
            }
        });
        Tasklet.Spawn(async () =>
        {
            for (var i = 0; i < 20; i++)
            {
                softSteps++;
                await Task.Delay(2);
            }
        });
        Scheduler.Run();
        Assert.Equal(2, first);
        Assert.Equal("disk on fire", Assert.IsType<IOException>(caught).Message);
        Assert.Equal(20, softSteps);

        static async Task<int> FailLaterAsync()
        {
            await Task.Delay(20);
            throw new IOException("disk on fire");
        }
    });

    [Fact]
    public void An_unhandled_stream_failure_ends_only_its_tasklet_and_reaches_main() => Isolated.Run(() =>
    {
        var mock = new Mock<Stream>();
        mock.Setup(s => s.ReadAsync(It.IsAny<Memory<byte>>(), It.IsAny<CancellationToken>()))
            .Returns(new ValueTask<int>(Task.FromException<int>(new IOException("broken pipe"))));
        using var stream = new CooperativeStream(mock.Object);
        var other = 0;
        Tasklet.SpawnHard(() =>
        {
            var n = stream.Read(new byte[4], 0, 4);
            Assert.Fail("read " + n);
        });
        Tasklet.Spawn(async () =>
        {
            for (var i = 0; i < 5; i++)
            {
                other++;
                await Scheduler.ScheduleAsync();
            }
        });
        var error = Assert.Throws<IOException>(Scheduler.Run);
        Assert.Equal("broken pipe", error.Message);
        Scheduler.Run();
        Assert.Equal(5, other);
    });
}
