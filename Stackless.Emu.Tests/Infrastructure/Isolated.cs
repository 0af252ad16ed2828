using System.Runtime.ExceptionServices;

namespace Stackless.Emu.Tests.Infrastructure;

/// <summary>
/// Runs a test body on a fresh OS thread, so it gets a fresh scheduler (schedulers are per thread and xunit reuses
/// pool threads), and checks afterwards what Stackless's own test support checks: only the main tasklet is left.
/// </summary>
public static class Isolated
{
    /// <summary>
    /// Timers and I/O completions reach a scheduler through a thread-pool thread that posts into its inbox. xunit's
    /// workers block in <see cref="Run"/>'s Join, and on a 2-core machine the pool's minimum (2 threads) is then
    /// starved, so a cooperative sleep or read stalls 0.5-1 s until the pool injects threads. Raising the minimum once,
    /// for every test, keeps those waits prompt.
    /// </summary>
    static Isolated()
    {
        ThreadPool.GetMinThreads(out var workers, out var io);
        if (workers < 32)
        {
            ThreadPool.SetMinThreads(32, Math.Max(io, 32));
        }
    }

    /// <summary>
    /// The longest a test body may run before it is reported as hung: a guard against hangs only, generous enough for a
    /// full-size stress run on a busy 2-core machine (no test relies on it for timing).
    /// </summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(15);

    /// <summary>Runs <paramref name="body"/> on a new thread with its own scheduler; rethrows its exception.</summary>
    /// <param name="body">The test body; it runs as the thread's main tasklet.</param>
    /// <param name="checkLeftovers">Assert that no tasklet but main is left alive afterwards (leftovers are killed first).</param>
    /// <param name="stackSize">The thread's stack size in bytes (0: default).</param>
    public static void Run(Action body, bool checkLeftovers = true, int stackSize = 0)
    {
        ExceptionDispatchInfo? error = null;
        string? leftovers = null;
        var thread = new Thread(
            () =>
            {
                try
                {
                    body();
                }
                catch (Exception ex)
                {
                    error = ExceptionDispatchInfo.Capture(ex);
                }

                leftovers = KillLeftovers();
            },
            stackSize)
        { IsBackground = true, Name = "Isolated test" };
        thread.Start();
        if (!thread.Join(Timeout))
        {
            throw new TimeoutException($"The test body did not finish within {Timeout}.");
        }

        error?.Throw();
        if (checkLeftovers && leftovers is not null)
        {
            throw new Xunit.Sdk.XunitException($"Tasklets were left alive after the test: {leftovers}");
        }
    }

    /// <summary>Runs an async body as a soft tasklet on a fresh scheduler and runs the scheduler until it is done.</summary>
    public static void RunTasklet(Func<Task> body, bool checkLeftovers = true) =>
        Run(
            () =>
            {
                var tasklet = Tasklet.Spawn(body);
                Scheduler.Run();
                Assert.False(tasklet.Alive, "the test tasklet did not finish: " + Scheduler.Describe());
            },
            checkLeftovers);

    /// <summary>Kills every alive tasklet but main; returns their description, or null when there were none.</summary>
    private static string? KillLeftovers()
    {
        var alive = Scheduler.AliveTasklets().Where(t => !t.IsMain).ToList();
        if (alive.Count == 0)
        {
            return null;
        }

        var description = string.Join(", ", alive);
        foreach (var tasklet in alive)
        {
            try
            {
                if (tasklet.Alive)
                {
                    if (tasklet.BlockedOnIO)
                    {
                        tasklet.Kill(pending: true);
                    }
                    else
                    {
                        tasklet.Kill();
                    }
                }
            }
            catch (Exception)
            {
                // Best effort: the leftover itself is what the test reports.
            }
        }

        return description;
    }
}
