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
            outcome.MainDuringKill = Tasklet.Main;
            Volatile.Write(ref outcome.TaskletKilled, true);
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

        // Stackless sleeps 0.1 s here to let the other thread die and its tasklets with C state be killed. Here a hard
        // tasklet notices its thread's end itself, shortly after (it looks while it waits for the baton): wait for the
        // kill, not for a time. A soft tasklet simply stops with the thread.
        if (expectKill)
        {
            Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref outcome.TaskletKilled), RemoteThreads.Timeout), "the hard tasklet was not killed at its thread's end");
        }

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

    [Fact]
    [StacklessTest(File, "TestThreadShutdown.testThreadShutdown_nl1", "tasklet.bind_thread", "tasklet.run", "tasklet.alive", "stackless.main", "stackless.TaskletExit")]
    public void TestThreadShutdown_nl1() => ThreadShutdown(hard: true, blocked: false, expectKill: true);

    [Fact]
    [StacklessTest(File, "TestThreadShutdown.testThreadShutdown_nl0_blocked", "tasklet.bind_thread", "tasklet.run", "tasklet.alive", "channel.receive")]
    public void TestThreadShutdown_nl0_blocked() => ThreadShutdown(hard: false, blocked: true, expectKill: false);

    [Fact]
    [StacklessTest(File, "TestThreadShutdown.testThreadShutdown_nl1_blocked", "tasklet.bind_thread", "tasklet.run", "tasklet.alive", "channel.receive", "stackless.TaskletExit")]
    public void TestThreadShutdown_nl1_blocked() => ThreadShutdown(hard: true, blocked: true, expectKill: true);
}
