using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Threads;

/// <summary>
/// Operations on another thread's tasklets made inside an atomic block take effect together when the block ends, as
/// under Stackless's GIL (TestRemoteSchedule.testRunOrder), and never keep the caller waiting for them.
/// </summary>
public class AtomicRemoteOperationsTests
{
    /// <summary>A plain thread with three paused tasklets, parked until released, then running them.</summary>
    private sealed class ParkedOwner : IDisposable
    {
        private readonly ManualResetEventSlim _release = new();
        private readonly Thread _thread;

        public ParkedOwner()
        {
            using var ready = new ManualResetEventSlim();
            _thread = new Thread(() =>
            {
                for (var i = 0; i < 3; i++)
                {
                    var id = i;
                    Tasklets.Add(Tasklet.Spawn(() =>
                    {
                        lock (Events)
                        {
                            Events.Add(id);
                        }

                        return Task.CompletedTask;
                    }).Remove());
                }

                Scheduler.ParkThread(() =>
                {
                    ready.Set();
                    _release.Wait();
                });
                Scheduler.Run();
            })
            { IsBackground = true, Name = "parked owner" };
            _thread.Start();
            ready.Wait();
        }

        public List<Tasklet> Tasklets { get; } = [];

        public List<int> Events { get; } = [];

        public void Dispose()
        {
            _release.Set();
            Assert.True(_thread.Join(Isolated.Timeout));
            _release.Dispose();
        }
    }

    [Fact]
    public void Operations_inside_an_atomic_block_take_effect_when_it_ends_and_together() => Isolated.Run(() =>
    {
        using var owner = new ParkedOwner();
        var t = owner.Tasklets;
        using (Scheduler.Atomic())
        {
            t[1].Insert();
            t[2].Insert();
            Assert.False(t[1].Scheduled); // a parked owner takes an operation at once, but not inside an atomic block
            t[0].Run(); // another thread's tasklet is made to run next there; the caller goes on
            Assert.False(t[0].Scheduled);
        }

        Assert.True(t[0].Scheduled && t[1].Scheduled && t[2].Scheduled);
        owner.Dispose();
        Assert.Equal([0, 1, 2], owner.Events);
    });

    [Fact]
    public void Outside_an_atomic_block_a_parked_owner_takes_each_operation_at_once() => Isolated.Run(() =>
    {
        using var owner = new ParkedOwner();
        owner.Tasklets[1].Insert();
        Assert.True(owner.Tasklets[1].Scheduled);
        owner.Tasklets[0].Insert();
        owner.Tasklets[2].Insert();
        owner.Dispose();
        Assert.Equal([1, 0, 2], owner.Events);
    });

    [Fact]
    public void SetAtomic_false_hands_the_operations_over_and_a_nested_scope_keeps_them() => Isolated.Run(() =>
    {
        using var owner = new ParkedOwner();
        var t = owner.Tasklets;
        var previous = Tasklet.Current.SetAtomic(true);
        using (Scheduler.Atomic())
        {
            t[2].Insert();
        }

        Assert.False(t[2].Scheduled); // the inner scope restored atomic = true: the block goes on
        t[0].Remove(); // a no-op on a paused tasklet, collected in order
        Tasklet.Current.SetAtomic(previous);
        Assert.True(t[2].Scheduled);
        t[0].Insert();
        t[1].Insert();
        owner.Dispose();
        Assert.Equal([2, 0, 1], owner.Events);
    });

    [Fact]
    public void Waiting_inside_an_atomic_block_for_what_the_operations_start_does_not_deadlock() => Isolated.Run(() =>
    {
        var channel = new Channel<string>();
        using var thread = new SchedulerThread("owner");
        var sender = thread.InvokeAsync(() => Tasklet.Spawn(async () => await channel.SendAsync("from the owner")).Remove())
            .WaitAsync(Isolated.Timeout).GetAwaiter().GetResult();

        using (Scheduler.Atomic())
        {
            sender.Insert();
            Assert.Equal("from the owner", channel.Receive()); // main waits: the collected insert goes out first
        }

        thread.Join();
    });

    [Fact]
    public void A_remote_kill_is_collected_in_order_with_the_others() => Isolated.Run(() =>
    {
        using var owner = new ParkedOwner();
        var t = owner.Tasklets;
        using (Scheduler.Atomic())
        {
            t[1].Insert();
            t[1].Kill(); // another thread's tasklet: its own scheduler kills it, after the insert
            t[0].Insert();
            Assert.False(t[1].Scheduled);
        }

        owner.Dispose();
        Assert.Equal([0], owner.Events);
        Assert.False(t[1].Alive);
    });

    [Fact]
    public void A_remote_operation_that_waits_comes_after_the_collected_ones() => Isolated.Run(() =>
    {
        using var owner = new ParkedOwner();
        var t = owner.Tasklets;
        using (Scheduler.Atomic())
        {
            t[1].Insert();

            // BindThread waits for the owner: the collected insert is applied first, so the tasklet is runnable now.
            var refused = Assert.Throws<InvalidOperationException>(() => t[1].BindThread());
            Assert.Contains("runnable", refused.Message, StringComparison.Ordinal);
        }

        owner.Dispose();
        Assert.Equal([1], owner.Events);
    });

    [Fact]
    public void A_collecting_tasklet_that_ends_inside_its_atomic_block_hands_its_operations_over_as_it_ends() => Isolated.Run(() =>
    {
        using var owner = new ParkedOwner();
        var t = owner.Tasklets;
        bool? seenByTheNextTasklet = null;
        Tasklet.Spawn(() =>
        {
            Tasklet.Current.SetAtomic(true);
            t[1].Insert();
            return Task.CompletedTask; // ends still atomic
        });
        Tasklet.Spawn(() =>
        {
            seenByTheNextTasklet = t[1].Scheduled;
            return Task.CompletedTask;
        });
        Scheduler.Run();
        Assert.True(seenByTheNextTasklet);
        owner.Dispose();
        Assert.Equal([1], owner.Events);
    });

    [Fact]
    public void Operations_collected_by_a_tasklet_blocked_inside_its_atomic_block_go_out_once_nothing_can_run() => Isolated.Run(() =>
    {
        using var owner = new ParkedOwner();
        var t = owner.Tasklets;
        var channel = new Channel<int>();
        var collector = Tasklet.Spawn(async () =>
        {
            Tasklet.Current.SetAtomic(true);
            t[2].Insert();
            await channel.ReceiveAsync(); // blocks, still atomic, while another tasklet can run: nothing goes out yet
        });
        bool? seenMeanwhile = null;
        Tasklet.Spawn(() =>
        {
            seenMeanwhile = t[2].Scheduled;
            return Task.CompletedTask;
        });
        Scheduler.Run(); // then the chain empties: this thread could wait for another, so the operations go out
        Assert.False(seenMeanwhile);
        Assert.True(t[2].Scheduled);
        collector.Kill();
        owner.Dispose();
        Assert.Equal([2], owner.Events);
    });
}
