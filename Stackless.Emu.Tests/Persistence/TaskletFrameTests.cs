using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Persistence;

/// <summary>A tasklet whose body is a TaskletFrame method behaves exactly like a soft tasklet when it is not pickled.</summary>
public class TaskletFrameTests
{
    private static async TaskletFrame<int> Sum(int n) => n == 0 ? 0 : n + await Sum(n - 1);

    private static async TaskletFrame<int> SumScheduling(int n)
    {
        if (n == 0)
        {
            await Scheduler.ScheduleAsync();
            return 0;
        }

        return n + await SumScheduling(n - 1);
    }

    [Fact]
    public void Results_flow_through_nested_frames() => Isolated.Run(() =>
    {
        var result = 0;
        Tasklet.SpawnFrame(async () => result = await SumScheduling(100));
        Scheduler.Run();
        Assert.Equal(5050, result);
    });

    [Fact]
    public void A_frame_that_never_suspends_completes_synchronously() => Isolated.Run(() =>
    {
        var result = 0;
        Tasklet.SpawnFrame(async () => result = await Sum(10));
        Scheduler.Run();
        Assert.Equal(55, result);
    });

    [Fact]
    public void Deep_recursion_does_not_overflow_the_stack() => Isolated.Run(() =>
    {
        var result = 0L;
        Tasklet.SpawnFrame(async () => result = await SumScheduling(20_000));
        Scheduler.Run();
        Assert.Equal(20_000L * 20_001 / 2, result);
    });

    [Fact]
    public void Channels_and_preference_order_are_those_of_soft_tasklets() => Isolated.Run(() =>
    {
        var log = new List<string>();
        var ch = new Channel<int>();
        Tasklet.SpawnFrame(() => Receiver(ch, log));
        Tasklet.SpawnFrame(() => Sender(ch, log));
        Scheduler.Run();
        Assert.Equal(["r wait", "s 0", "r 0", "r wait", "s 1", "r 1", "r wait", "s done"], log);
    });

    private static async TaskletFrame Receiver(Channel<int> ch, List<string> log)
    {
        for (var i = 0; i < 2; i++)
        {
            log.Add("r wait");
            log.Add($"r {await ch.ReceiveAsync()}");
        }

        log.Add("r wait");
        await ch.ReceiveAsync();
    }

    private static async TaskletFrame Sender(Channel<int> ch, List<string> log)
    {
        for (var i = 0; i < 2; i++)
        {
            log.Add($"s {i}");
            await ch.SendAsync(i);
        }

        log.Add("s done");
        await Task.CompletedTask;
        Tasklet.Current.TempVal = null;
        ch.Close();
        ch.Queue!.Kill(pending: true);
    }

    [Fact]
    public void Kill_runs_finally_blocks_of_every_frame() => Isolated.Run(() =>
    {
        var log = new List<string>();
        var ch = new Channel();
        var t = Tasklet.SpawnFrame(() => Guarded(ch, log, 3));
        t.Run();
        Assert.True(t.Blocked);
        t.Kill();
        Assert.False(t.Alive);
        Assert.Equal(["finally 0", "finally 1", "finally 2", "finally 3"], log);
        Assert.Equal(0, ch.Balance);
    });

    private static async TaskletFrame Guarded(Channel ch, List<string> log, int depth)
    {
        try
        {
            if (depth == 0)
            {
                await ch.ReceiveAsync();
            }
            else
            {
                await Guarded(ch, log, depth - 1);
            }
        }
        finally
        {
            log.Add($"finally {depth}");
        }
    }

    [Fact]
    public void An_exception_propagates_through_frames_and_reaches_main() => Isolated.Run(() =>
    {
        Tasklet.SpawnFrame(() => Failing(5));
        var error = Assert.Throws<InvalidOperationException>(Scheduler.Run);
        Assert.Equal("bottom", error.Message);
    });

    private static async TaskletFrame Failing(int depth)
    {
        await Scheduler.ScheduleAsync();
        if (depth == 0)
        {
            throw new InvalidOperationException("bottom");
        }

        await Failing(depth - 1);
    }

    [Fact]
    public void A_frame_catches_an_exception_sent_over_a_channel() => Isolated.Run(() =>
    {
        var ch = new Channel<int>();
        string? caught = null;
        Tasklet.SpawnFrame(async () =>
        {
            try
            {
                await ch.ReceiveAsync();
            }
            catch (ArgumentException e)
            {
                caught = e.Message;
            }
        });
        Scheduler.Run();
        ch.SendException(new ArgumentException("sent"));
        Scheduler.Run();
        Assert.Equal("sent", caught);
    });

    [Fact]
    public void A_frame_may_await_a_foreign_task() => Isolated.Run(() =>
    {
        var done = false;
        Tasklet.SpawnFrame(async () =>
        {
            await Task.Delay(10);
            await Scheduler.ScheduleAsync();
            done = true;
        });
        Scheduler.Run();
        Assert.True(done);
    });

    [Fact]
    public void Kill_before_the_first_run_never_runs_the_body() => Isolated.Run(() =>
    {
        var ran = false;
        var t = Tasklet.SpawnFrame(async () =>
        {
            ran = true;
            await Scheduler.ScheduleAsync();
        });
        t.Kill();
        Assert.False(t.Alive);
        Assert.False(ran);
    });

    [Fact]
    public void The_arguments_are_evaluated_at_creation_and_the_body_runs_later() => Isolated.Run(() =>
    {
        var log = new List<string>();
        var t = Tasklet.CreateFrame(() => Logging(log, "arg"));
        Assert.Empty(log);
        Assert.False(t.Alive);
        t.Setup();
        Scheduler.Run();
        Assert.Equal(["arg"], log);
    });

    private static async TaskletFrame Logging(List<string> log, string text)
    {
        log.Add(text);
        await Scheduler.ScheduleAsync();
    }

    [Fact]
    public void CreateFrame_refuses_a_body_that_does_not_return_the_call() => Isolated.Run(() =>
    {
        var log = new List<string>();
        Assert.Throws<ArgumentException>(() => Tasklet.CreateFrame(() =>
        {
            _ = Logging(log, "first");
            return Logging(log, "second");
        }));
    });

    private static readonly AsyncLocal<string?> Ambient = new();

    [Fact]
    public void AsyncLocal_values_flow_across_suspensions() => Isolated.Run(() =>
    {
        string? seen = null;
        Tasklet.SpawnFrame(async () =>
        {
            Ambient.Value = "mine";
            await Scheduler.ScheduleAsync();
            seen = Ambient.Value;
        });
        Tasklet.Spawn(async () =>
        {
            Ambient.Value = "other";
            await Scheduler.ScheduleAsync();
        });
        Scheduler.Run();
        Assert.Equal("mine", seen);
    });
}
