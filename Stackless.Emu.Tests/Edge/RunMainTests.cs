using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Edge;

/// <summary>
/// <c>Scheduler.RunMain</c>: main's code as an async method (the way to use tasklets from <c>async Main</c>), and the
/// detection of the orphaning it prevents.
/// </summary>
public class RunMainTests
{
    [Fact]
    public void Main_awaits_resume_on_the_scheduler_thread_as_main_while_tasklets_run() => Isolated.Run(() =>
    {
        var thread = Environment.CurrentManagedThreadId;
        var log = new List<string>();
        Scheduler.RunMain(async () =>
        {
            var channel = new Channel<int>();
            Tasklet.Spawn(async () =>
            {
                log.Add("tasklet before");
                await Task.Delay(1);
                log.Add("tasklet after delay");
                await channel.SendAsync(42);
            });
            await Task.Delay(5);
            Assert.Equal(thread, Environment.CurrentManagedThreadId);
            Assert.True(Tasklet.Current.IsMain);
            log.Add("main after delay");
            Assert.Equal(42, channel.Receive()); // a synchronous form of main still works
            await Task.Yield();
            Assert.Equal(thread, Environment.CurrentManagedThreadId);
            log.Add("main done");
        });
        Assert.Equal("tasklet before", log[0]);
        Assert.Contains("tasklet after delay", log);
        Assert.Equal("main done", log[^1]);
    });

    /// <summary>What an <c>static int Main() =&gt; Scheduler.RunMain(MainAsync);</c> program runs.</summary>
    private static async Task<int> MainAsync(List<string> log)
    {
        var lines = new Channel<string>();
        Tasklet.Spawn(async () =>
        {
            foreach (var word in new[] { "alpha", "beta" })
            {
                await Task.Delay(1); // a tasklet's I/O
                await lines.SendAsync(word);
            }

            lines.Complete();
        });

        await Task.Delay(1); // main's own I/O: the tasklets run meanwhile, and main resumes on this thread as main
        log.Add("main resumed as main: " + Tasklet.Current.IsMain);
        await foreach (var line in lines)
        {
            log.Add(line);
        }

        return log.Count;
    }

    [Fact]
    public void An_async_main_iterates_a_channel_a_tasklet_feeds_and_its_result_is_the_exit_code() => Isolated.Run(() =>
    {
        var log = new List<string>();
        var thread = Environment.CurrentManagedThreadId;
        var exitCode = Scheduler.RunMain(() => MainAsync(log));
        Assert.Equal(["main resumed as main: True", "alpha", "beta"], log);
        Assert.Equal(3, exitCode);
        Assert.Equal(thread, Environment.CurrentManagedThreadId);
    });

    [Fact]
    public void RunMain_returns_mains_result_and_runs_the_tasklets_to_their_end() => Isolated.Run(() =>
    {
        var finished = 0;
        var result = Scheduler.RunMain(async () =>
        {
            for (var i = 0; i < 3; i++)
            {
                Tasklet.Spawn(async () =>
                {
                    await Scheduler.SleepAsync(TimeSpan.FromMilliseconds(1));
                    finished++;
                });
            }

            await Task.Yield();
            return 7;
        });
        Assert.Equal(7, result);
        Assert.Equal(3, finished);
    });

    [Fact]
    public void An_exception_of_main_or_of_a_tasklet_comes_out_of_RunMain() => Isolated.Run(() =>
    {
        var own = Assert.Throws<InvalidOperationException>(() => Scheduler.RunMain(async () =>
        {
            await Task.Yield();
            throw new InvalidOperationException("main failed");
        }));
        Assert.Equal("main failed", own.Message);

        var fromTasklet = Assert.Throws<FormatException>(() => Scheduler.RunMain(async () =>
        {
            Tasklet.Spawn(async () =>
            {
                await Task.Yield();
                throw new FormatException("tasklet failed");
            });
            await new TaskCompletionSource().Task; // never completes: the tasklet's error ends RunMain
        }));
        Assert.Equal("tasklet failed", fromTasklet.Message);
    });

    [Fact]
    public void Tasklets_still_blocked_when_main_has_finished_are_killed_and_their_finally_runs() => Isolated.Run(() =>
    {
        var cleaned = false;
        Scheduler.RunMain(async () =>
        {
            var never = new Channel<int>();
            Tasklet.Spawn(async () =>
            {
                try
                {
                    await never.ReceiveAsync();
                }
                finally
                {
                    cleaned = true;
                }
            });
            await Task.Yield();
        });
        Assert.True(cleaned);
        Assert.Single(Scheduler.AliveTasklets()); // main only
    });

    [Fact]
    public void RunMain_refuses_to_nest_and_to_run_in_a_hard_tasklet() => Isolated.Run(() =>
    {
        string? nested = null, hard = null;
        Scheduler.RunMain(async () =>
        {
            nested = Record.Exception(() => Scheduler.RunMain(() => Task.CompletedTask))?.Message;
            Tasklet.SpawnHard(() => hard = Record.Exception(() => Scheduler.RunMain(() => Task.CompletedTask))?.Message);
            await Task.Yield();
        });
        Assert.Contains("already running", nested, StringComparison.Ordinal);
        Assert.Contains("not from a hard tasklet", hard, StringComparison.Ordinal);
    });

    [Fact]
    public void An_async_main_without_RunMain_that_leaves_its_thread_gets_a_clear_error_not_orphaned_tasklets()
    {
        // What "static async Task Main" does: set up tasklets, await, and call Scheduler.Run() on a pool thread.
        Exception? error = null;
        var thread = new Thread(() => error = Record.Exception(() => AsyncMain().GetAwaiter().GetResult()));
        thread.Start();
        Assert.True(thread.Join(Isolated.Timeout));
        var orphaned = Assert.IsType<InvalidOperationException>(error);
        Assert.Contains("Scheduler.RunMain", orphaned.Message, StringComparison.Ordinal);
        Assert.Contains("1 tasklet(s)", orphaned.Message, StringComparison.Ordinal);

        static async Task AsyncMain()
        {
            Tasklet.Spawn(() => Task.CompletedTask);
            await Task.Delay(1).ConfigureAwait(false);
            Scheduler.Run();
        }
    }

    [Fact]
    public void The_same_program_under_RunMain_runs_its_tasklets() => Isolated.Run(() =>
    {
        var ran = false;
        Scheduler.RunMain(async () =>
        {
            Tasklet.Spawn(() =>
            {
                ran = true;
                return Task.CompletedTask;
            });
            await Task.Delay(1);
            Scheduler.Run();
        });
        Assert.True(ran);
    });
}
