using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Threads;

/// <summary>
/// A tasklet waiting in a shared channel has its bits written by a partner on another thread (its wait state and value,
/// under the channel's lock) while its own thread may set one of its flags: neither write may be lost.
/// </summary>
public class FlagWriteRaceTests
{
    [Fact]
    public void Flags_set_by_the_owner_while_another_thread_serves_the_tasklet_are_never_lost() => Isolated.Run(() =>
    {
        // Without the channel's lock around the owner's write, 300,000 hand-overs lost 18 flag writes; the light size
        // rarely catches it, STACKLESS_FULL_STRESS=1 does.
        var values = Stress.Size(50_000, 1_000_000);
        var channel = new Channel<int>();
        var sum = 0L;
        var receiver = Tasklet.Spawn(async () =>
        {
            for (var i = 0; i < values; i++)
            {
                sum += await channel.ReceiveAsync(); // mostly served by the other thread while it waits
            }
        });

        using var sender = new SchedulerThread("sender");
        sender.Post(async () =>
        {
            for (var i = 0; i < values; i++)
            {
                await channel.SendAsync(i);
            }
        });

        var lost = 0;
        var toggles = 0L;
        while (receiver.Alive)
        {
            var flag = (toggles++ & 1) == 0;
            receiver.SetIgnoreNesting(flag); // the owner's write, racing the sender's hand-over
            if (receiver.IgnoreNesting != flag)
            {
                lost++;
            }

            Scheduler.Schedule(); // lets the receiver take what arrived (its wake comes through the inbox)
        }

        sender.Join();
        Assert.Equal(0, lost);
        Assert.Equal((long)values * (values - 1) / 2, sum); // and no hand-over was lost: every wake arrived
    });
}
