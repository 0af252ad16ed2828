using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Core;

public class SmokeTests
{
    [Fact]
    public void Main_receives_from_a_soft_tasklet_without_Run() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        Tasklet.Spawn(async () =>
        {
            for (var i = 0; i < 3; i++)
            {
                await channel.SendAsync(i);
            }
        });

        Assert.Equal(0, channel.Receive());
        Assert.Equal(1, channel.Receive());
        Assert.Equal(2, channel.Receive());
        Scheduler.Run();
        Assert.Equal(1, Scheduler.RunCount);
    });

    [Fact]
    public void Hard_and_soft_tasklets_share_a_channel() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var log = new List<string>();
        Tasklet.SpawnHard(() =>
        {
            for (var i = 0; i < 3; i++)
            {
                channel.Send(i);
                log.Add("hard sent " + i);
            }
        });
        Tasklet.Spawn(async () =>
        {
            for (var i = 0; i < 3; i++)
            {
                log.Add("soft got " + await channel.ReceiveAsync());
            }
        });
        Scheduler.Run();
        Assert.Equal(
            ["soft got 0", "hard sent 0", "soft got 1", "hard sent 1", "soft got 2", "hard sent 2"],
            log);
    });
}
