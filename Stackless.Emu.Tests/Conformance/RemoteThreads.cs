using System.Runtime.ExceptionServices;
using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Conformance;

/// <summary>
/// The thread helpers of Stackless's test_thread.py (unittests and test suite copy) on the emulation's threads:
/// a Python thread that runs tasklets is a <see cref="SchedulerThread"/>; the LingeringThread, which creates a tasklet and
/// then does not schedule, is a plain thread.
/// </summary>
internal static class RemoteThreads
{
    /// <summary>The longest a test waits for another thread (a hang guard, see <see cref="Stress.HangGuard"/>).</summary>
    public static readonly TimeSpan Timeout = Stress.HangGuard;

    /// <summary>
    /// The test's GetRemoteTasklets: a scheduler thread creates one tasklet per callable, removes them, sends them to the
    /// caller over a channel, then waits (on a second channel) until every one has run; join the thread to finish.
    /// </summary>
    public static async Task<(List<Tasklet> Tasklets, SchedulerThread Thread)> GetRemoteTaskletsAsync(params Action[] callables)
    {
        var c = new Channel<List<Tasklet>>();
        var thread = new SchedulerThread("remote tasklets");
        thread.Post(async () =>
        {
            var c2 = new Channel<Exception?>();
            var tasklets = new List<Tasklet>();
            foreach (var callable in callables)
            {
                var t = Tasklet.Spawn(async () =>
                {
                    Exception? error = null;
                    try
                    {
                        callable();
                    }
                    catch (Exception e)
                    {
                        error = e;
                    }

                    await c2.SendAsync(error);
                });
                t.Remove();
                tasklets.Add(t);
            }

            await c.SendAsync(tasklets);
            foreach (var _ in callables)
            {
                if (await c2.ReceiveAsync() is { } error)
                {
                    ExceptionDispatchInfo.Throw(error);
                }
            }
        });
        return (await c.ReceiveAsync(), thread);
    }

    /// <summary>
    /// Stackless's AsTaskletTestCase: the body runs as a tasklet while main waits on a channel for its result (so main is
    /// blocked, not inside run(), and a tasklet waiting for another thread makes this thread wait too).
    /// </summary>
    public static void AsTasklet(Func<Task> body) => Isolated.Run(() =>
    {
        var done = new Channel<ExceptionDispatchInfo?>();
        Tasklet.Spawn(async () =>
        {
            ExceptionDispatchInfo? error = null;
            try
            {
                await body();
            }
            catch (Exception e)
            {
                error = ExceptionDispatchInfo.Capture(e);
            }

            await done.SendAsync(error);
        });
        var error = done.Receive();
        Scheduler.Run(); // the sender, still runnable after the hand-over, ends
        error?.Throw();
    });

    /// <summary>Joins <paramref name="thread"/> with the test's timeout (Join also kills its leftover tasklets).</summary>
    public static void JoinWithin(this SchedulerThread thread)
    {
        var join = Task.Run(thread.Join);
        Assert.True(join.Wait(Timeout), "the scheduler thread did not stop");
    }
}

/// <summary>
/// The test's LingeringThread: a plain thread that creates a tasklet through <paramref name="create"/> and then lingers,
/// without scheduling, in <see cref="Scheduler.ParkThread"/> (Python's Event.wait, which releases the GIL) until
/// <see cref="Join"/>. It then ends as a Stackless thread does: its hard tasklets are killed, its soft ones simply stop.
/// </summary>
internal sealed class LingeringThread : IDisposable
{
    private readonly ManualResetEventSlim _shutdown = new();
    private readonly Thread _thread;
    private Exception? _error;

    public LingeringThread(Func<Tasklet> create)
    {
        using var ready = new ManualResetEventSlim();
        _thread = new Thread(() =>
        {
            try
            {
                ThreadId = Environment.CurrentManagedThreadId;
                Tasklet = create();
            }
            catch (Exception e)
            {
                _error = e;
            }

            Scheduler.ParkThread(() =>
            {
                ready.Set();
                _shutdown.Wait();
            }); // Python's Event.wait releases the GIL: other threads change our tasklets meanwhile

            // The thread ends: Stackless kills its tasklets with C state (hard tasklets); soft ones simply stop.
            foreach (var t in Scheduler.AliveTasklets().Where(t => t.Kind == TaskletKind.Hard))
            {
                t.Kill();
            }
        })
        { IsBackground = true, Name = "lingering thread" };
        _thread.Start();
        ready.Wait();
        if (_error is not null)
        {
            throw new InvalidOperationException("the lingering thread failed to create its tasklet", _error);
        }
    }

    public Tasklet Tasklet { get; private set; } = null!;

    public int ThreadId { get; private set; }

    public void Join()
    {
        _shutdown.Set();
        Assert.True(_thread.Join(RemoteThreads.Timeout), "the lingering thread did not end");
    }

    public void Dispose()
    {
        Join();
        _shutdown.Dispose();
    }
}
