using System.Reactive.Concurrency;
using System.Reactive.Linq;
using Stackless.Emu.Tests.Infrastructure;
using Bcl = System.Threading.Channels;
using RxScheduler = System.Reactive.Concurrency.Scheduler;
using Scheduler = Stackless.Emu.Scheduler;

namespace Stackless.Emu.Tests.Interop;

/// <summary>
/// The aliases the README gives for the clashing names compile and mean what they say. (This file imports
/// System.Reactive.Concurrency, whose Scheduler would otherwise clash with Stackless's: the alias decides.)
/// </summary>
public class NameClashTests
{
    [Fact]
    public void Aliases_pick_Stackless_Rx_and_BCL_types_side_by_side() => Isolated.Run(() =>
    {
        var bcl = Bcl.Channel.CreateBounded<int>(1);
        Assert.True(bcl.Writer.TryWrite(1));
        var stackless = new Channel<int>();
        Assert.IsType<Bcl.ChannelReader<int>>(stackless.AsChannelReader(), exactMatch: false);
        Assert.Same(CurrentThreadScheduler.Instance, RxScheduler.CurrentThread);
        Assert.Equal(1, Scheduler.RunCount); // Stackless's
        Assert.Equal(3, Observable.Range(0, 3, RxScheduler.Immediate).ToEnumerable().Count());
    });
}
