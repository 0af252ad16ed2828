using System.Diagnostics;
using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Hard;

public class HardTaskletTests
{
    [Fact]
    public void Kill_and_throw_are_delivered_at_the_blocking_point_of_a_hard_tasklet_and_finally_runs() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var log = new List<string>();
        var killed = Tasklet.SpawnHard(() =>
        {
            try
            {
                channel.Receive();
                log.Add("not reached");
            }
            finally
            {
                log.Add("finally");
            }
        });
        var thrown = Tasklet.SpawnHard(() =>
        {
            try
            {
                Scheduler.ScheduleRemove();
            }
            catch (FormatException ex)
            {
                log.Add("caught " + ex.Message);
            }
        });
        Scheduler.Run();
        Assert.True(killed.Blocked);
        Assert.True(thrown.Paused);

        killed.Kill();
        Assert.False(killed.Alive);
        Assert.Equal(0, channel.Balance);
        thrown.Throw(new FormatException("x"));
        Assert.False(thrown.Alive);
        Assert.Equal(["finally", "caught x"], log);
    });

    [Fact]
    public void An_exception_in_a_hard_tasklet_reaches_main() => Isolated.Run(() =>
    {
        Tasklet.SpawnHard(() => throw new InvalidProgramException("hard failure"));
        Assert.Equal("hard failure", Assert.Throws<InvalidProgramException>(Scheduler.Run).Message);
    });

    [Fact]
    public void Sync_forms_inside_a_hard_tasklet_run_soft_tasklets_meanwhile() => Isolated.Run(() =>
    {
        var log = new List<string>();
        Tasklet.SpawnHard(() =>
        {
            var channel = new Channel<string>();
            Tasklet.Spawn(async () => await channel.SendAsync("from soft"));
            log.Add(channel.Receive());
            foreach (var s in MakeProducer(3))
            {
                log.Add(s);
            }

            Scheduler.Schedule();
            log.Add("hard done");
        });
        Scheduler.Run();
        Assert.Equal(["from soft", "0", "1", "2", "hard done"], log);
    });

    private static Channel<string> MakeProducer(int count)
    {
        var channel = new Channel<string>();
        Tasklet.Spawn(async () =>
        {
            for (var i = 0; i < count; i++)
            {
                await channel.SendAsync(i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            // close() would not wake the receiver already waiting (Stackless); StopIteration ends its loop.
            await channel.SendExceptionAsync(new StopIteration());
        });
        return channel;
    }

    [Fact]
    public void A_configurable_stack_size_allows_deep_synchronous_recursion() => Isolated.Run(() =>
    {
        var old = StacklessSettings.HardTaskletStackSize;
        StacklessSettings.HardTaskletStackSize = 256 * 1024 * 1024;
        try
        {
            var channel = new Channel<int>();
            static int Recurse(int n, Channel<int> channel) => n == 0 ? channel.Receive() : Recurse(n - 1, channel) + 1;
            var result = 0;
            Tasklet.SpawnHard(() => result = Recurse(100_000, channel));
            Scheduler.Run();
            channel.Send(5); // the hard tasklet is blocked 100,000 frames deep
            Scheduler.Run();
            Assert.Equal(100_005, result);
        }
        finally
        {
            StacklessSettings.HardTaskletStackSize = old;
        }
    });

    [Fact]
    public void A_blocking_call_suspends_only_its_tasklet_while_another_makes_ten_steps() => Isolated.Run(() =>
    {
        var steps = 0;
        var stepsDuringSleep = -1;
        var sleeperBlockedAtEachStep = new List<bool>();
        var sleeper = Tasklet.SpawnHard(() =>
        {
            Scheduler.BlockingCall(() => Thread.Sleep(200));
            stepsDuringSleep = steps;
        });
        Tasklet.Spawn(async () =>
        {
            for (var i = 0; i < 10; i++)
            {
                steps++;
                sleeperBlockedAtEachStep.Add(sleeper.BlockedOnIO);
                await Task.Yield(); // a real trip through the scheduler's I/O path, without timers
            }
        });
        Scheduler.Run();
        Assert.Equal(10, stepsDuringSleep);
        Assert.Equal(Enumerable.Repeat(true, 10), sleeperBlockedAtEachStep);
    });

    [Fact]
    public void A_blocking_call_on_main_and_in_a_soft_tasklet_lets_others_run_and_passes_exceptions_back() => Isolated.Run(() =>
    {
        var steps = 0;
        var other = Tasklet.Spawn(async () =>
        {
            for (var i = 0; i < 10; i++)
            {
                steps++;
                await Task.Yield();
            }
        });
        Assert.Equal(42, Scheduler.BlockingCall(() =>
        {
            Thread.Sleep(100);
            return 42;
        }));
        Assert.Equal(10, steps);
        Assert.False(other.Alive);

        Exception? seen = null;
        Tasklet.Spawn(async () =>
        {
            try
            {
                await Scheduler.BlockingCallAsync(() => throw new IOException("disk"));
            }
            catch (IOException ex)
            {
                seen = ex;
            }
        });
        Scheduler.Run();
        Assert.Equal("disk", seen?.Message);
        Assert.Equal("hard", Assert.Throws<IOException>(() => RunHardBlockingCallThatThrows()).Message);
    });

    private static void RunHardBlockingCallThatThrows()
    {
        Exception? seen = null;
        Tasklet.SpawnHard(() =>
        {
            try
            {
                Scheduler.BlockingCall(() => throw new IOException("hard"));
            }
            catch (IOException ex)
            {
                seen = ex;
            }
        });
        Scheduler.Run();
        throw seen!;
    }
}
