using System.Net.Sockets;
using Stackless.Emu.Monkeypatch;
using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Monkeypatch;

public class CancellationTests
{
    public CancellationTests() => Loopback.EnsureThreadPool();

    [Fact]
    public void Cooperative_Kill_interrupts_a_hard_tasklet_blocked_in_a_read_and_its_finally_runs() => Isolated.Run(() =>
    {
        var (a, b) = Loopback.Pair();
        using var peer = b;
        var stream = new CooperativeStream(new NetworkStream(a, ownsSocket: true));
        var log = new List<string>();
        var reader = Tasklet.SpawnHard(() =>
        {
            try
            {
                log.Add("reading");
                var n = stream.Read(new byte[8], 0, 8);
                log.Add("read " + n);
            }
            finally
            {
                stream.Dispose();
                log.Add("finally");
            }
        });
        Scheduler.Schedule();
        Assert.True(reader.BlockedOnIO);
        Assert.False(Cooperative.CancelIo(Tasklet.Current));
        Cooperative.Kill(reader);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Scheduler.Run();
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5));
        Assert.False(reader.Alive);
        Assert.Equal(["reading", "finally"], log);
        Assert.True(a.SafeHandle.IsClosed, "the socket handle was released");
    });

    [Fact]
    public void Cooperative_Kill_interrupts_a_soft_tasklet_awaiting_a_read() => Isolated.Run(() =>
    {
        var (a, b) = Loopback.Pair();
        using var peer = b;
        var log = new List<string>();
        var reader = Tasklet.Spawn(async () =>
        {
            await using var stream = new CooperativeStream(new NetworkStream(a, ownsSocket: true));
            try
            {
                var n = await stream.ReadAsync(new byte[8]);
                log.Add("read " + n);
            }
            finally
            {
                log.Add("finally");
            }
        });
        Scheduler.Schedule();
        Assert.True(reader.BlockedOnIO);
        Cooperative.Kill(reader);
        Scheduler.Run(); // would raise here if the cancellation escaped as an error
        Assert.False(reader.Alive);
        Assert.Equal(["finally"], log);
        Assert.True(a.SafeHandle.IsClosed);
    });

    [Fact]
    public void Cooperative_Kill_interrupts_a_sleep() => Isolated.Run(() =>
    {
        var finished = false;
        var sleeper = Tasklet.SpawnHard(() =>
        {
            try
            {
                Cooperative.Sleep(TimeSpan.FromMinutes(5));
            }
            finally
            {
                finished = true;
            }
        });
        Scheduler.Schedule();
        Cooperative.Kill(sleeper);
        Scheduler.Run();
        Assert.True(finished);
        Assert.False(sleeper.Alive);
    });

    [Fact]
    public void CancelIo_raises_OperationCanceledException_in_the_reader_which_can_read_again() => Isolated.Run(() =>
    {
        var (a, b) = Loopback.Pair();
        using var stream = new CooperativeStream(new NetworkStream(a, ownsSocket: true));
        using var peer = new NetworkStream(b, ownsSocket: true);
        Exception? first = null;
        var second = 0;
        var reader = Tasklet.SpawnHard(() =>
        {
            try
            {
                second = stream.Read(new byte[8], 0, 8);
            }
            catch (OperationCanceledException ex)
            {
                first = ex;
            }

            second = stream.Read(new byte[8], 0, 8);
        });
        Scheduler.Schedule();
        Assert.True(Cooperative.CancelIo(reader));
        peer.Write([1, 2, 3]);
        Scheduler.Run();
        Assert.IsAssignableFrom<OperationCanceledException>(first);
        Assert.Equal(3, second);
    });

    [Fact]
    public void Plain_Tasklet_Kill_of_a_blocked_reader_is_delivered_when_the_read_completes() => Isolated.Run(() =>
    {
        // The core cannot interrupt a foreign operation: Tasklet.Kill marks the kill, and the tasklet dies at its
        // next switch point, i.e. when the read returns. Closing the peer (or Cooperative.Kill) ends the wait.
        var (a, b) = Loopback.Pair();
        using var stream = new CooperativeStream(new NetworkStream(a, ownsSocket: true));
        var log = new List<string>();
        var reader = Tasklet.SpawnHard(() =>
        {
            try
            {
                var n = stream.Read(new byte[8], 0, 8);
                log.Add("read " + n);
            }
            finally
            {
                log.Add("finally");
            }
        });
        Scheduler.Schedule();
        reader.Kill();
        Assert.True(reader.Alive);
        Assert.True(reader.BlockedOnIO);
        b.Close();
        Scheduler.Run();
        Assert.False(reader.Alive);
        Assert.Equal(["finally"], log);
    });
}
