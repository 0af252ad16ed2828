using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Conformance.Unittests;

/// <summary>
/// Ports of Stackless/unittests/test_shutdown.py, TestThreadShutdown: what happens to a tasklet of a thread that ends
/// while the tasklet is still runnable or blocked. Stackless drops a soft-switched tasklet (nesting level 0: its frames
/// are plain heap objects) without raising anything in it, and kills one with C state on its stack (nesting level 1)
/// so that its C stack can unwind. The emulation's counterparts are the soft tasklet (an async body: heap state) and the
/// hard tasklet (its own OS thread, blocked in a synchronous call).
/// </summary>
public class ShutdownTests
{
    private const string File = "Stackless/unittests/test_shutdown.py";
    private const string ThreadEnd = "Not built yet: Stackless kills a thread's tasklets with C state (hard tasklets) when the thread ends; .NET gives no hook at the end of a plain thread, and the hard tasklet's own OS thread would have to notice its owner's end and raise TaskletExit in itself (soft tasklets simply stop, as in Stackless: the nl0 tests pass)";

    /// <summary>What the tasklet saw and what the other thread checked.</summary>
    private sealed class Outcome
    {
        public bool TaskletKilled;
        public bool OtherThreadStarted;
        public Tasklet? MainDuringKill;
        public Tasklet? MainOfOtherThread;
    }

    /// <summary>
    /// Stackless's _test_thread_shutdown: a tasklet made on this thread is bound to another thread, runs there until it
    /// blocks (in main.run(), or receiving on a channel when <paramref name="blocked"/>), and that thread ends.
    /// </summary>
    private static void ThreadShutdown(bool hard, bool blocked, bool expectKill) => Isolated.Run(() =>
    {
        var outcome = new Outcome();
        var c = new Channel();

        void OnKill()
        {
            outcome.TaskletKilled = true;
            outcome.MainDuringKill = Tasklet.Main;
        }

        Tasklet running = hard
            ? Tasklet.CreateHard(() =>
            {
                var main = outcome.MainOfOtherThread = Tasklet.Main;
                try
                {
                    if (blocked)
                    {
                        c.Receive();
                    }
                    else
                    {
                        main.Run();
                    }
                }
                catch (TaskletExit)
                {
                    OnKill();
                    throw;
                }

                Assert.Fail("func must block!");
            })
            : new Tasklet(async () =>
            {
                var main = outcome.MainOfOtherThread = Tasklet.Main;
                try
                {
                    if (blocked)
                    {
                        await c.ReceiveAsync();
                    }
                    else
                    {
                        await main.RunAsync();
                    }
                }
                catch (TaskletExit)
                {
                    OnKill();
                    throw;
                }

                Assert.Fail("func must block!");
            });

        running.Setup().Remove(); // Python's bind(f, ()) sets the tasklet up without scheduling it

        Exception? otherError = null;
        var other = new Thread(() =>
        {
            try
            {
                Assert.Same(Tasklet.Main, Tasklet.Current);
                running.BindThread();
                running.Run();
                Assert.True(running.Alive);
                Assert.True(running.Scheduled);
                outcome.OtherThreadStarted = true;
            }
            catch (Exception e)
            {
                otherError = e;
            }
        })
        { Name = "other thread", IsBackground = true };

        Assert.Same(Tasklet.Main, Tasklet.Current);
        other.Start();
        var joined = false;
        Scheduler.ParkThread(() => joined = other.Join(RemoteThreads.Timeout)); // Python's join releases the GIL
        Assert.True(joined, "the other thread did not end");
        if (otherError is not null)
        {
            throw new InvalidOperationException("the other thread failed", otherError);
        }

        // Stackless sleeps 0.1 s here to let the other thread die; in the emulation the thread's end does its clean-up
        // before the thread is gone, so Join is enough.
        Assert.True(outcome.OtherThreadStarted);
        Assert.False(running.Alive);
        if (outcome.TaskletKilled)
        {
            Assert.NotNull(outcome.MainDuringKill);
            Assert.NotSame(Tasklet.Current, outcome.MainDuringKill);
            Assert.NotSame(running, outcome.MainDuringKill);
        }

        Assert.Equal(expectKill, outcome.TaskletKilled);
    });

    [Fact]
    [StacklessTest(File, "TestThreadShutdown.testThreadShutdown_nl0", "tasklet.bind_thread", "tasklet.run", "tasklet.alive", "stackless.main")]
    public void TestThreadShutdown_nl0() => ThreadShutdown(hard: false, blocked: false, expectKill: false);

    [Fact(Skip = ThreadEnd)]
    [StacklessTest(File, "TestThreadShutdown.testThreadShutdown_nl1", "tasklet.bind_thread", "tasklet.run", "tasklet.alive", "stackless.main", "stackless.TaskletExit")]
    public void TestThreadShutdown_nl1() => ThreadShutdown(hard: true, blocked: false, expectKill: true);

    [Fact]
    [StacklessTest(File, "TestThreadShutdown.testThreadShutdown_nl0_blocked", "tasklet.bind_thread", "tasklet.run", "tasklet.alive", "channel.receive")]
    public void TestThreadShutdown_nl0_blocked() => ThreadShutdown(hard: false, blocked: true, expectKill: false);

    [Fact(Skip = ThreadEnd)]
    [StacklessTest(File, "TestThreadShutdown.testThreadShutdown_nl1_blocked", "tasklet.bind_thread", "tasklet.run", "tasklet.alive", "channel.receive", "stackless.TaskletExit")]
    public void TestThreadShutdown_nl1_blocked() => ThreadShutdown(hard: true, blocked: true, expectKill: true);
}
