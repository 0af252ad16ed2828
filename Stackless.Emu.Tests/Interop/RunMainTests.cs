using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Interop;

/// <summary>Scheduler.RunMain: an async Main as the main tasklet.</summary>
public class RunMainTests
{
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
    public void An_async_main_awaits_IO_and_tasklets_on_the_scheduler_thread() => Isolated.Run(() =>
    {
        var log = new List<string>();
        var thread = Environment.CurrentManagedThreadId;
        var exitCode = Scheduler.RunMain(() => MainAsync(log));
        Assert.Equal(["main resumed as main: True", "alpha", "beta"], log);
        Assert.Equal(3, exitCode);
        Assert.Equal(thread, Environment.CurrentManagedThreadId);
    });

    [Fact]
    public void Tasklets_left_blocked_when_main_ends_are_killed_and_their_finally_blocks_run() => Isolated.Run(() =>
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
            await Scheduler.ScheduleAsync();
        });
        Assert.True(cleaned);
    });

    [Fact]
    public void An_exception_of_the_async_main_is_raised_by_RunMain() => Isolated.Run(() =>
    {
        var error = Assert.Throws<FormatException>(() => Scheduler.RunMain(async () =>
        {
            await Task.Yield();
            throw new FormatException("bad config");
        }));
        Assert.Equal("bad config", error.Message);
    });
}
