using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Core;

/// <summary>Stackless's exact ordering rules for schedule, run, switch and channel actions.</summary>
public class OrderingTests
{
    private static Tasklet Logger(List<string> log, string name, int steps) => Tasklet.Spawn(async () =>
    {
        for (var i = 0; i < steps; i++)
        {
            log.Add(name);
            await Scheduler.ScheduleAsync();
        }
    });

    [Fact]
    public void Runcount_counts_main_and_runnable_tasklets() => Isolated.Run(() =>
    {
        Assert.Equal(1, Scheduler.RunCount);
        Assert.Same(Tasklet.Main, Tasklet.Current);
        Assert.True(Tasklet.Main.IsMain && Tasklet.Main.IsCurrent && Tasklet.Main.Scheduled);
        var t = Tasklet.Spawn(async () => Assert.Equal(1, Scheduler.RunCount)); // main left the queue inside Run()
        Assert.Equal(2, Scheduler.RunCount);
        Scheduler.Run();
        Assert.Equal(1, Scheduler.RunCount);
        Assert.False(t.Alive);
    });

    [Fact]
    public void Run_of_a_scheduled_tasklet_skips_the_ones_before_it_and_returns_after_a_round() => Isolated.Run(() =>
    {
        // The manual's tasklet.run() example: t1.run() shows t1, t2, t3, then main resumes.
        var log = new List<string>();
        var t1 = Logger(log, "t1", 2);
        var t2 = Logger(log, "t2", 2);
        Logger(log, "t3", 2);
        t1.Run();
        Assert.Equal(["t1", "t2", "t3"], log);

        log.Clear();
        t2.Remove();
        t2.Run(); // not scheduled: inserted before main, so only t2 runs
        Assert.Equal(["t2"], log);
        Assert.True(t2.Scheduled);
        Scheduler.Run();
    });

    [Fact]
    public void Switch_pauses_the_caller() => Isolated.Run(() =>
    {
        var log = new List<string>();
        var mainScheduled = new List<bool>();
        var t1 = Tasklet.Spawn(async () =>
        {
            log.Add("t1");
            mainScheduled.Add(Tasklet.Main.Scheduled);
            await Scheduler.ScheduleAsync();
            log.Add("t1 again");
        });
        t1.Switch();
        Assert.Equal(["t1", "t1 again"], log);
        Assert.Equal([false], mainScheduled);
    });

    [Fact]
    public void Sending_to_a_waiting_receiver_runs_it_at_once_and_puts_the_sender_last() => Isolated.Run(() =>
    {
        var log = new List<string>();
        var channel = new Channel<int>();
        Tasklet.Spawn(async () => log.Add("got " + await channel.ReceiveAsync()));
        Tasklet.Spawn(async () =>
        {
            await channel.SendAsync(1);
            log.Add("sender resumed");
        });
        Tasklet.Spawn(() =>
        {
            log.Add("other");
            return Task.CompletedTask;
        });
        Scheduler.Run();
        Assert.Equal(["got 1", "other", "sender resumed"], log);
    });

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void With_preference_0_or_1_the_sender_continues_and_the_receiver_is_appended(int preference) => Isolated.Run(() =>
    {
        var log = new List<string>();
        var channel = new Channel<int> { Preference = preference };
        Tasklet.Spawn(async () => log.Add("got " + await channel.ReceiveAsync()));
        Tasklet.Spawn(async () =>
        {
            await channel.SendAsync(1);
            log.Add("sender continued");
        });
        Tasklet.Spawn(() =>
        {
            log.Add("other");
            return Task.CompletedTask;
        });
        Scheduler.Run();
        Assert.Equal(["sender continued", "other", "got 1"], log);
    });

    [Fact]
    public void Schedule_all_schedules_both_and_the_caller_yields() => Isolated.Run(() =>
    {
        var log = new List<string>();
        var channel = new Channel<int> { ScheduleAll = true };
        Tasklet.Spawn(async () => log.Add("got " + await channel.ReceiveAsync()));
        Tasklet.Spawn(async () =>
        {
            await channel.SendAsync(1);
            log.Add("sender resumed");
        });
        Tasklet.Spawn(() =>
        {
            log.Add("other");
            return Task.CompletedTask;
        });
        Scheduler.Run();
        Assert.Equal(["other", "got 1", "sender resumed"], log);
    });

    [Theory]
    [InlineData(5, 1)]
    [InlineData(-7, -1)]
    [InlineData(0, 0)]
    public void Preference_is_clamped_to_its_sign(int value, int expected)
    {
        var channel = new Channel<int> { Preference = value };
        Assert.Equal(expected, channel.Preference);
    }

    [Fact]
    public void Balance_and_queue_show_waiting_senders_in_FIFO_order() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var a = new Tasklet(async () => await channel.SendAsync(1)) { Name = "a" }.Setup();
        var b = new Tasklet(async () => await channel.SendAsync(2)) { Name = "b" }.Setup();
        Scheduler.Run();
        Assert.Equal(2, channel.Balance);
        Assert.Same(a, channel.Queue);
        Assert.Same(b, a.Next);
        Assert.Null(b.Next);
        Assert.True(a.Blocked && a.Scheduled && !a.Paused);
        Assert.Equal(1, channel.Receive());
        Assert.Equal(2, channel.Receive());
        Assert.Equal(0, channel.Balance);
        Scheduler.Run();
    });

    [Fact]
    public void Close_makes_the_channel_closing_then_closed_once_the_last_waiter_leaves() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        Tasklet.Spawn(async () => await channel.SendAsync(1));
        Scheduler.Run();
        channel.Close();
        Assert.True(channel.Closing);
        Assert.False(channel.Closed);
        Assert.Equal(1, channel.Receive()); // a waiting partner is still served
        Assert.True(channel.Closed);
        channel.Open();
        Assert.False(channel.Closing || channel.Closed);
        Scheduler.Run();
    });

    [Fact]
    public void Iteration_ends_on_a_closed_channel_and_on_StopIteration() => Isolated.Run(() =>
    {
        // close() never wakes a blocked receiver (Stackless); iteration ends once the closing channel has no sender left.
        var channel = new Channel<int>();
        Tasklet.Spawn(async () => await channel.SendAsync(1));
        Tasklet.Spawn(async () => await channel.SendAsync(2));
        Scheduler.Run();
        channel.Close();
        Assert.Equal([1, 2], channel.ToList());
        Assert.True(channel.Closed);

        var second = new Channel<int>();
        var received = new List<int>();
        Tasklet.Spawn(async () =>
        {
            await foreach (var x in second)
            {
                received.Add(x);
            }

            received.Add(-1);
        });
        Tasklet.Spawn(async () =>
        {
            await second.SendSequenceAsync([5, 6]);
            await second.SendExceptionAsync(new StopIteration());
        });
        Scheduler.Run();
        Assert.Equal([5, 6, -1], received);
    });

    [Fact]
    public void Send_exception_send_throw_and_bombs_raise_in_the_receiver() => Isolated.Run(() =>
    {
        var channel = new Channel();
        Tasklet.Spawn(async () =>
        {
            await channel.SendExceptionAsync(typeof(ArgumentOutOfRangeException), "p", "m");
            await channel.SendThrowAsync(new FormatException("thrown"));
            await channel.SendAsync(new Bomb(new TimeoutException("bomb")));
            await channel.SendAsync("plain");
        });
        Assert.Equal("p", Assert.Throws<ArgumentOutOfRangeException>(() => channel.Receive()).ParamName);
        Assert.Equal("thrown", Assert.Throws<FormatException>(() => channel.Receive()).Message);
        Assert.Equal("bomb", Assert.Throws<TimeoutException>(() => channel.Receive()).Message);
        Assert.Equal("plain", channel.Receive());
        Scheduler.Run();
    });

    [Fact]
    public void Resending_one_exception_object_raises_it_afresh_each_time_without_growing_its_stack_trace() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var shared = new FormatException("same object");
        Tasklet.Spawn(async () =>
        {
            for (var i = 0; i < 50; i++)
            {
                await channel.SendExceptionAsync(shared);
            }
        });
        var traceLengths = new List<int>();
        for (var i = 0; i < 50; i++)
        {
            var error = Assert.Throws<FormatException>(() => channel.Receive());
            Assert.Same(shared, error);
            traceLengths.Add(error.StackTrace!.Length);
        }

        Assert.Single(traceLengths.Distinct());
        Scheduler.Run();
    });

    [Fact]
    public void Send_throw_keeps_the_original_stack_trace() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        Exception thrown;
        try
        {
            throw new FormatException("original");
        }
        catch (FormatException ex)
        {
            thrown = ex;
        }

        var originalTrace = thrown.StackTrace!;
        Tasklet.Spawn(async () => await channel.SendThrowAsync(thrown));
        var error = Assert.Throws<FormatException>(() => channel.Receive());
        Assert.StartsWith(originalTrace, error.StackTrace!, StringComparison.Ordinal);
        Scheduler.Run();
    });

    [Fact]
    public void Schedule_callback_sees_every_switch_and_channel_callback_every_action() => Isolated.Run(() =>
    {
        var switches = new List<(string?, string?)>();
        var actions = new List<(bool Sending, bool WillBlock)>();
        Scheduler.ScheduleCallback = (prev, next) => switches.Add((prev?.Name ?? (prev?.IsMain == true ? "main" : null), next?.Name ?? (next?.IsMain == true ? "main" : null)));
        Scheduler.ChannelCallback = (_, _, sending, willBlock) => actions.Add((sending, willBlock));
        try
        {
            var channel = new Channel<int>();
            new Tasklet(async () => await channel.SendAsync(1)) { Name = "s" }.Setup();
            Assert.Equal(1, channel.Receive());
            Scheduler.Run();
            Assert.Equal([("main", "s"), ("s", "main"), ("main", "s"), ("s", "main")], switches);
            Assert.Equal([(false, true), (true, false)], actions);
        }
        finally
        {
            Scheduler.ScheduleCallback = null;
            Scheduler.ChannelCallback = null;
        }
    });
}
