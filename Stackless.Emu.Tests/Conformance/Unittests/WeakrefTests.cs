using System.Runtime.CompilerServices;
using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Conformance.Unittests;

/// <summary>
/// Ports of Stackless/unittests/test_weakref.py. Python checks weakref callbacks under reference counting; the C#
/// analogue is that the scheduler keeps no reference to finished tasklets or unused channels, so they are collectable.
/// </summary>
public class WeakrefTests
{
    private const string File = "Stackless/unittests/test_weakref.py";

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference RunTaskletToCompletion()
    {
        var t = Tasklet.Spawn(async () => await Scheduler.ScheduleAsync());
        Scheduler.Run();
        Assert.False(t.Alive);
        return new WeakReference(t);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference UseChannel()
    {
        var c = new Channel();
        var t = Tasklet.Spawn(async () => await c.ReceiveAsync());
        t.Run();
        c.Send(1);
        Scheduler.Run();
        return new WeakReference(c);
    }

    private static void Collect()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    [Fact]
    [StacklessTest(File, "TestWeakReferences.testSimpleTaskletWeakRef", "tasklet")]
    public void TestSimpleTaskletWeakRef() => Isolated.Run(() =>
    {
        var weak = RunTaskletToCompletion();
        Collect();
        Assert.False(weak.IsAlive, "a finished tasklet must not be kept alive by the scheduler");
    });

    [Fact]
    [StacklessTest(File, "TestWeakReferences.testSimpleChannelWeakRef", "channel")]
    public void TestSimpleChannelWeakRef() => Isolated.Run(() =>
    {
        var weak = UseChannel();
        Collect();
        Assert.False(weak.IsAlive, "a channel nobody waits on must not be kept alive by the scheduler");
    });
}
