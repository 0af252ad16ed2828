using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Hard;

/// <summary>The seed programs give identical output when any of their tasklets are hard.</summary>
public class MixedSeedTests
{
    /// <summary>Spawns <paramref name="soft"/> as a soft tasklet or, when <paramref name="hard"/>, the equivalent sync body as a hard one.</summary>
    private static void Spawn(bool hard, Func<Task> soft, Action sync)
    {
        if (hard)
        {
            Tasklet.SpawnHard(sync);
        }
        else
        {
            Tasklet.Spawn(soft);
        }
    }

    public static TheoryData<int> Masks() => [0, 1, 2, 3, 4, 5, 6, 7];

    [Theory]
    [MemberData(nameof(Masks))]
    public void Cooperative_multitasking_in_every_soft_hard_combination(int mask) => Isolated.Run(() =>
    {
        var log = new List<string>();
        var channel = new Channel<string>();
        Spawn((mask & 1) != 0,
            async () =>
            {
                log.Add("Receiving tasklet started");
                log.Add(await channel.ReceiveAsync());
                log.Add("Receiving tasklet finished");
            },
            () =>
            {
                log.Add("Receiving tasklet started");
                log.Add(channel.Receive());
                log.Add("Receiving tasklet finished");
            });
        Spawn((mask & 2) != 0,
            async () =>
            {
                log.Add("Sending tasklet started");
                await channel.SendAsync("send from sending_tasklet");
                log.Add("sending tasklet finished");
            },
            () =>
            {
                log.Add("Sending tasklet started");
                channel.Send("send from sending_tasklet");
                log.Add("sending tasklet finished");
            });
        Spawn((mask & 4) != 0,
            () =>
            {
                log.Add("Just another tasklet in the scheduler");
                return Task.CompletedTask;
            },
            () => log.Add("Just another tasklet in the scheduler"));
        Scheduler.Run();
        Assert.Equal(
            [
                "Receiving tasklet started", "Sending tasklet started", "send from sending_tasklet",
                "Receiving tasklet finished", "Just another tasklet in the scheduler", "sending tasklet finished",
            ],
            log);
    });

    [Theory]
    [InlineData(-1, "P0 P1 P2 P3 P4 P5 P6 P7 P8 P9 R0 R1 R2 R3 R4 R5 R6 R7 R8 R9")]
    [InlineData(1, "R0 P0 R1 P1 R2 P2 R3 P3 R4 P4 R5 P5 R6 P6 R7 P7 R8 P8 R9 P9")]
    public void Preferences_with_a_hard_receiver_and_alternating_hard_senders(int preference, string expected) => Isolated.Run(() =>
    {
        var printed = new List<string>();
        var channel = new Channel<int> { Preference = preference };
        var receiver = Tasklet.SpawnHard(() =>
        {
            while (true)
            {
                printed.Add("P" + channel.Receive());
            }
        });
        for (var i = 0; i < 10; i++)
        {
            var value = i;
            Spawn(i % 2 == 0,
                async () =>
                {
                    await channel.SendAsync(value);
                    printed.Add("R" + value);
                },
                () =>
                {
                    channel.Send(value);
                    printed.Add("R" + value);
                });
        }

        Scheduler.Run();
        Assert.Equal(expected, string.Join(' ', printed));
        receiver.Kill();
    });

    [Fact]
    public void Numbers_and_letters_with_one_hard_tasklet() => Isolated.Run(() =>
    {
        var output = new List<string>();
        Tasklet.SpawnHard(() =>
        {
            foreach (var n in new[] { "0", "1", "2" })
            {
                output.Add(n);
                Scheduler.Schedule();
            }
        });
        Tasklet.Spawn(async () =>
        {
            foreach (var l in new[] { "A", "B", "C" })
            {
                output.Add(l);
                await Scheduler.ScheduleAsync();
            }
        });
        Scheduler.Run();
        Assert.Equal("0 A 1 B 2 C", string.Join(' ', output));
    });
}
