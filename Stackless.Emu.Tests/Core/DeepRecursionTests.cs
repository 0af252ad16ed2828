using System.Runtime.CompilerServices;
using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Core;

public class DeepRecursionTests
{
    /// <summary>200,000 frames by default; a million (the depth) with STACKLESS_FULL_STRESS=1.</summary>
    private static readonly int Depth = Stress.Size(200_000, 1_000_000);

    [Fact]
    public void A_soft_tasklet_recurses_hundreds_of_thousands_of_async_calls_deep_suspends_at_the_bottom_and_unwinds() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var deepest = 0;
        var unwound = 0;

        [AsyncMethodBuilder(typeof(StackSafeTaskMethodBuilder<>))]
        async Task<int> Recurse(int level)
        {
            if (level == Depth)
            {
                deepest = level;
                var value = await channel.ReceiveAsync();
                unwound++;
                return value;
            }

            var result = await Recurse(level + 1) + 1;
            unwound++;
            return result;
        }

        var result = -1;
        Tasklet.Spawn(async () => result = await Recurse(1));

        // Run until the tasklet is suspended Depth frames deep on the channel.
        Scheduler.Run();
        Assert.Equal(Depth, deepest);
        Assert.Equal(-1, channel.Balance);

        channel.Send(7);
        Scheduler.Run();
        Assert.Equal(Depth, unwound);
        Assert.Equal(7 + Depth - 1, result);
    });
}
