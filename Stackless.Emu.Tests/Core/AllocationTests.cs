using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Core;

/// <summary>
/// Proof (by counting, not timing) that steady-state channel operations and switches allocate nothing: after a warm-up,
/// <see cref="GC.GetAllocatedBytesForCurrentThread"/> must not move over 10,000 operations. The whole dispatch runs on
/// the isolated test thread (soft tasklets are run by the main tasklet's Drive loop), so the per-thread count sees it all.
/// </summary>
public class AllocationTests
{
    private const int Warmup = 20_000;
    private const int Measured = 10_000;

    private static async Task Echo(Channel<int> request, Channel<int> reply)
    {
        while (true)
        {
            var v = await request.ReceiveAsync();
            await reply.SendAsync(v);
        }
    }

    private static async Task Pinger(Channel<int> start, Channel<int> done, Channel<int> request, Channel<int> reply)
    {
        while (true)
        {
            var n = await start.ReceiveAsync();
            var sum = 0;
            for (var i = 0; i < n; i++)
            {
                await request.SendAsync(i);
                sum += await reply.ReceiveAsync();
            }

            await done.SendAsync(sum);
        }
    }

    private static async Task Yielder(Channel<int> start, Channel<int> done)
    {
        while (true)
        {
            var n = await start.ReceiveAsync();
            for (var i = 0; i < n; i++)
            {
                await Scheduler.ScheduleAsync();
            }

            await done.SendAsync(n);
        }
    }

    private static void KillAll(params Tasklet[] tasklets)
    {
        foreach (var t in tasklets)
        {
            t.Kill();
        }
    }

    [Fact]
    public void Soft_to_soft_round_trips_allocate_nothing() => Isolated.Run(() =>
    {
        Channel<int> request = new(), reply = new(), start = new(), done = new();
        var echo = Tasklet.Spawn(() => Echo(request, reply));
        var pinger = Tasklet.Spawn(() => Pinger(start, done, request, reply));
        start.Send(Warmup);
        done.Receive();

        var before = GC.GetAllocatedBytesForCurrentThread();
        start.Send(Measured);
        var sum = done.Receive();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(Measured * (Measured - 1) / 2, sum);
        Assert.Equal(0, allocated);
        KillAll(echo, pinger);
    });

    [Fact]
    public void Main_to_soft_round_trips_allocate_nothing() => Isolated.Run(() =>
    {
        Channel<int> request = new(), reply = new();
        var echo = Tasklet.Spawn(() => Echo(request, reply));
        for (var i = 0; i < Warmup; i++)
        {
            request.Send(i);
            reply.Receive();
        }

        var sum = 0;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Measured; i++)
        {
            request.Send(i);
            sum += reply.Receive();
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(Measured * (Measured - 1) / 2, sum);
        Assert.Equal(0, allocated);
        KillAll(echo);
    });

    [Fact]
    public void Schedule_switches_between_soft_tasklets_allocate_nothing() => Isolated.Run(() =>
    {
        Channel<int> startA = new(), startB = new(), done = new();
        var a = Tasklet.Spawn(() => Yielder(startA, done));
        var b = Tasklet.Spawn(() => Yielder(startB, done));
        startA.Send(Warmup);
        startB.Send(Warmup);
        done.Receive();
        done.Receive();

        var before = GC.GetAllocatedBytesForCurrentThread();
        startA.Send(Measured);
        startB.Send(Measured);
        var total = done.Receive() + done.Receive();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(2 * Measured, total);
        Assert.Equal(0, allocated);
        KillAll(a, b);
    });

    [Fact]
    public void Main_schedule_with_a_soft_tasklet_allocates_nothing() => Isolated.Run(() =>
    {
        Channel<int> start = new(), done = new();
        var yielder = Tasklet.Spawn(() => Yielder(start, done));
        start.Send(Warmup);
        while (yielder.Scheduled && done.Balance == 0)
        {
            Scheduler.Schedule();
        }

        done.Receive();

        var before = GC.GetAllocatedBytesForCurrentThread();
        start.Send(Measured);
        for (var i = 0; i < Measured; i++)
        {
            Scheduler.Schedule();
        }

        var n = done.Receive();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(Measured, n);
        Assert.Equal(0, allocated);
        KillAll(yielder);
    });
}
