using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Conformance.Unittests;

/// <summary>Ports of Stackless/unittests/test_sched_cb.py.</summary>
public class SchedCbTests
{
    private const string File = "Stackless/unittests/test_sched_cb.py";

    private sealed class SchedulingMonitor
    {
        public int Count;

        public void Callback(Tasklet? prev, Tasklet? next) => Count++;
    }

    /// <summary>Stackless's test_cframe(n): a tasklet that switches n times.</summary>
    private static Func<Task> SwitchTimes(int n) => async () =>
    {
        for (var i = 0; i < n; i++)
        {
            await Scheduler.ScheduleAsync();
        }
    };

    [Fact]
    [StacklessTest(File, "SchedulingCallbackTestCase.test0", "stackless.set_schedule_callback", "stackless.run")]
    public void Test0() => Isolated.Run(() =>
    {
        var mon1 = new SchedulingMonitor();
        Scheduler.ScheduleCallback = mon1.Callback;
        try
        {
            Tasklet.Spawn(SwitchTimes(3));
            Tasklet.Spawn(SwitchTimes(3));
            Assert.Equal(0, mon1.Count); // no callbacks before running
            Scheduler.Run();
            Assert.True(mon1.Count >= 2 * 3, $"at least as many callbacks as switches, got {mon1.Count}");
        }
        finally
        {
            Scheduler.ScheduleCallback = null;
        }
    });

    [Fact]
    [StacklessTest(File, "SchedulingCallbackTestCase.test1", "stackless.set_schedule_callback", "stackless.run")]
    public void Test1() => Isolated.Run(() =>
    {
        const int n = 2;
        try
        {
            var mon1 = new SchedulingMonitor();
            Scheduler.ScheduleCallback = mon1.Callback;
            for (var i = 0; i < n; i++)
            {
                Tasklet.Spawn(SwitchTimes(3));
            }

            Assert.Equal(0, mon1.Count);
            Scheduler.Run();
            var c1 = mon1.Count;
            Assert.True(c1 >= n * 3);

            var mon2 = new SchedulingMonitor();
            Scheduler.ScheduleCallback = mon2.Callback;
            for (var i = 0; i < n; i++)
            {
                Tasklet.Spawn(SwitchTimes(5));
            }

            Scheduler.Run();
            var c2 = mon2.Count;
            Assert.True(c2 >= n * 5);
            Assert.Equal(c1, mon1.Count); // no calls to the previous callback
            Assert.True(c2 > c1);

            Scheduler.ScheduleCallback = null;
            for (var i = 0; i < n; i++)
            {
                Tasklet.Spawn(SwitchTimes(7));
            }

            Scheduler.Run();
            Assert.Equal(c1, mon1.Count);
            Assert.Equal(c2, mon2.Count);
        }
        finally
        {
            Scheduler.ScheduleCallback = null;
        }
    });

    [Fact]
    [StacklessTest(File, "SchedulingCallbackTestCase.test2currentWithPrevAndNext", "stackless.set_schedule_callback", "stackless.current", "stackless.run", "stackless.schedule")]
    public void Test2currentWithPrevAndNext() => Isolated.Run(() =>
    {
        // Stackless checks that stackless.current, sys.exc_info() and the frame stack agree inside the callback; the
        // emulation's analogue: during the callback Tasklet.Current is the tasklet being switched away from (prev).
        var main = Tasklet.Current;
        var taskA = Tasklet.Spawn(async () => await Scheduler.ScheduleAsync());
        var switches = new List<(Tasklet? Prev, Tasklet? Next, Tasklet Current)>();
        Scheduler.ScheduleCallback = (prev, next) => switches.Add((prev, next, Tasklet.Current));
        try
        {
            Scheduler.Run();
        }
        finally
        {
            Scheduler.ScheduleCallback = null;
        }

        Assert.NotEmpty(switches);
        foreach (var (prev, next, current) in switches)
        {
            Assert.NotNull(prev);
            Assert.True(prev == main || prev == taskA);
            Assert.NotSame(prev, next);
            Assert.Same(prev, current);
        }
    });

    [Fact]
    [StacklessTest(File, "SchedulingCallbackTestCase.testGetCallback", "stackless.set_schedule_callback", "stackless.get_schedule_callback")]
    public void TestGetCallback() => Isolated.Run(() =>
    {
        var mon = new SchedulingMonitor();
        Action<Tasklet?, Tasklet?> callback = mon.Callback;
        Assert.Null(Scheduler.ScheduleCallback);
        Scheduler.ScheduleCallback = callback;
        Assert.Same(callback, Scheduler.ScheduleCallback);
        Scheduler.ScheduleCallback = null;
        Assert.Null(Scheduler.ScheduleCallback);
    });
}
