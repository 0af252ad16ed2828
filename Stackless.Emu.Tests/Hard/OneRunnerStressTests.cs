using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Hard;

/// <summary>Exactly one tasklet of a scheduler runs at any moment, with hard and soft tasklets mixed.</summary>
public class OneRunnerStressTests
{
    [Fact]
    public void A_hundred_hard_and_a_thousand_soft_tasklets_never_overlap_and_account_for_every_message() => Isolated.Run(() =>
    {
        const int HardCount = 100;
        const int SoftCount = 1000;
        const int MessagesEach = 20;

        var inside = 0;
        var overlaps = 0;
        var ledger = new Dictionary<int, int>(); // deliberately not thread-safe
        var channel = new Channel<int>();

        void Mutate(int key)
        {
            if (Interlocked.Increment(ref inside) != 1)
            {
                Interlocked.Increment(ref overlaps);
            }

            ledger[key] = ledger.GetValueOrDefault(key) + 1;
            Thread.SpinWait(20);
            Interlocked.Decrement(ref inside);
        }

        for (var h = 0; h < HardCount; h++)
        {
            var id = h;
            Tasklet.SpawnHard(() =>
            {
                for (var m = 0; m < MessagesEach; m++)
                {
                    Mutate(-1);
                    channel.Send(id * 1000 + m);
                    if (m % 3 == 0)
                    {
                        Scheduler.Schedule();
                    }
                }
            });
        }

        for (var s = 0; s < SoftCount; s++)
        {
            var id = HardCount + s;
            Tasklet.Spawn(async () =>
            {
                for (var m = 0; m < MessagesEach; m++)
                {
                    Mutate(-2);
                    await channel.SendAsync(id * 1000 + m);
                    if (m % 2 == 0)
                    {
                        await Scheduler.ScheduleAsync();
                    }
                }
            });
        }

        var received = new HashSet<int>();
        var receivers = new List<Tasklet>();
        for (var r = 0; r < 10; r++)
        {
            receivers.Add(r % 2 == 0
                ? Tasklet.SpawnHard(() =>
                {
                    foreach (var value in channel)
                    {
                        Mutate(value % 7);
                        Assert.True(received.Add(value));
                    }
                })
                : Tasklet.Spawn(async () =>
                {
                    await foreach (var value in channel)
                    {
                        Mutate(value % 7);
                        Assert.True(received.Add(value));
                    }
                }));
        }

        Scheduler.Run();
        const int Total = (HardCount + SoftCount) * MessagesEach;
        Assert.Equal(0, overlaps);
        Assert.Equal(Total, received.Count);
        Assert.Equal(Total, Enumerable.Range(0, 7).Sum(k => ledger.GetValueOrDefault(k)));
        Assert.Equal(HardCount * MessagesEach, ledger[-1]);
        Assert.Equal(SoftCount * MessagesEach, ledger[-2]);

        // Every sender is done; the receivers wait for more. Close the channel and end them.
        foreach (var receiver in receivers)
        {
            receiver.Kill();
        }
    });
}
