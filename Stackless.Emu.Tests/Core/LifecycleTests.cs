using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Core;

public class LifecycleTests
{
    [Fact]
    public void A_new_tasklet_is_bound_but_not_alive_until_setup() => Isolated.Run(() =>
    {
        var ran = false;
        var t = new Tasklet(() =>
        {
            ran = true;
            return Task.CompletedTask;
        });
        Assert.False(t.Alive || t.Scheduled || t.Paused);
        Assert.Same(t, t.Setup());
        Assert.True(t.Alive && t.Scheduled && !t.Paused && !t.Blocked);
        t.Remove();
        Assert.True(t.Paused);
        t.Insert();
        Scheduler.Run();
        Assert.True(ran);
        Assert.False(t.Alive);
    });

    [Fact]
    public void Kill_delivers_TaskletExit_at_the_suspension_point_so_finally_runs_and_the_channel_balance_is_restored() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var log = new List<string>();
        var t = Tasklet.Spawn(async () =>
        {
            try
            {
                await channel.ReceiveAsync();
                log.Add("not reached");
            }
            finally
            {
                log.Add("finally");
            }
        });
        Scheduler.Run();
        Assert.Equal(-1, channel.Balance);
        t.Kill();
        Assert.Equal(["finally"], log);
        Assert.False(t.Alive);
        Assert.Equal(0, channel.Balance);
        Assert.Null(channel.Queue);
    });

    [Fact]
    public void Kill_pending_makes_the_tasklet_runnable_and_it_dies_in_its_turn() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var t = Tasklet.Spawn(async () => await channel.ReceiveAsync());
        Scheduler.Run();
        t.Kill(pending: true);
        Assert.True(t.Alive);
        Assert.Equal(0, channel.Balance);
        Assert.True(t.Scheduled && !t.Blocked);
        Scheduler.Run();
        Assert.False(t.Alive);
    });

    [Fact]
    public void Killing_a_tasklet_that_never_ran_means_its_body_never_runs() => Isolated.Run(() =>
    {
        var ran = false;
        var t = Tasklet.Spawn(() =>
        {
            ran = true;
            return Task.CompletedTask;
        });
        t.Kill();
        Assert.False(ran);
        Assert.False(t.Alive);
    });

    [Fact]
    public void Throw_and_RaiseException_raise_inside_the_target_at_its_suspension_point() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        Exception? caught = null;
        var t = Tasklet.Spawn(async () =>
        {
            try
            {
                await channel.ReceiveAsync();
            }
            catch (FormatException ex)
            {
                caught = ex;
            }

            try
            {
                await channel.ReceiveAsync();
            }
            catch (ArgumentException ex)
            {
                caught = ex;
            }
        });
        Scheduler.Run();
        t.Throw(new FormatException("one"));
        Assert.IsType<FormatException>(caught);
        t.RaiseException(typeof(ArgumentException), "two");
        Assert.Equal("two", caught!.Message);
        Assert.False(t.Alive);
    });

    [Fact]
    public void A_soft_tasklet_kills_another_with_KillAsync() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var finallyRan = false;
        var victim = Tasklet.Spawn(async () =>
        {
            try
            {
                await channel.ReceiveAsync();
            }
            finally
            {
                finallyRan = true;
            }
        });
        Tasklet.Spawn(async () =>
        {
            await victim.KillAsync();
            Assert.True(finallyRan);
            Assert.False(victim.Alive);
        });
        Scheduler.Run();
        Assert.True(finallyRan);
    });

    [Fact]
    public void Atomic_scope_sets_and_restores_the_flag() => Isolated.Run(() =>
    {
        Assert.False(Tasklet.Current.Atomic);
        using (Scheduler.Atomic())
        {
            Assert.True(Tasklet.Current.Atomic);
        }

        Assert.False(Tasklet.Current.Atomic);
        Assert.False(Tasklet.Current.SetAtomic(true));
        Assert.True(Tasklet.Current.SetAtomic(false));
    });

    [Fact]
    public void Schedule_remove_pauses_until_inserted_again() => Isolated.Run(() =>
    {
        var log = new List<string>();
        var t = Tasklet.Spawn(async () =>
        {
            log.Add("before");
            await Scheduler.ScheduleRemoveAsync();
            log.Add("after");
        });
        Scheduler.Run();
        Assert.Equal(["before"], log);
        Assert.True(t.Paused);
        t.Insert();
        Scheduler.Run();
        Assert.Equal(["before", "after"], log);
    });

    [Fact]
    public void Bind_null_unbinds_a_paused_tasklet_without_running_it() => Isolated.Run(() =>
    {
        var log = new List<string>();
        var t = Tasklet.Spawn(async () =>
        {
            log.Add("part 1");
            await Scheduler.ScheduleRemoveAsync();
            log.Add("part 2");
        });
        Scheduler.Run();
        t.Bind(null);
        Assert.False(t.Alive);
        Scheduler.Run();
        Assert.Equal(["part 1"], log);
    });
}
