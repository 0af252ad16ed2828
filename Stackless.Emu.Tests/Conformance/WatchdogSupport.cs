using System.Runtime.CompilerServices;

namespace Stackless.Emu.Tests.Conformance;

/// <summary>
/// The helpers of Stackless's test_watchdog.py (both the unittests and the test suite copy) on the emulation's watchdog,
/// <see cref="Scheduler.Run(int, bool, bool, bool, bool)"/>. Stackless counts interpreter instructions and can interrupt
/// between any two; C# cannot, so a Python loop is emulated by a loop that passes
/// <see cref="Scheduler.PreemptionPointAsync"/> once per iteration, and a Python timeout of <c>n</c> instructions becomes
/// <c>n / 10</c> switch points (a Python loop iteration is about ten bytecodes).
/// </summary>
internal static class WatchdogSupport
{
    /// <summary>Bytecodes of one emulated Python loop iteration.</summary>
    public const int BytecodesPerIteration = 10;

    /// <summary>The emulation's timeout (switch points) for a Stackless timeout of <paramref name="bytecodes"/> instructions; 0 stays 0 (no watchdog).</summary>
    public static int Ticks(int bytecodes) => bytecodes == 0 ? 0 : Math.Max(1, bytecodes / BytecodesPerIteration);

    /// <summary>
    /// The test's SimpleScheduler.autoschedule: <c>run(timeout, soft)</c> until only main is left, re-inserting the
    /// returned tasklet; on an error the remaining tasklets are killed and the error re-raised. Returns the schedule count
    /// (the number of run() calls that returned).
    /// </summary>
    public static int Autoschedule(int bytecodes, bool soft)
    {
        var count = 0;
        while (Scheduler.RunCount > 1)
        {
            Tasklet? returned;
            try
            {
                returned = Scheduler.Run(Ticks(bytecodes), soft: soft);
            }
            catch
            {
                while (Scheduler.RunCount > 1)
                {
                    Scheduler.Current.Next!.Kill();
                }

                throw;
            }

            count++;
            returned?.Insert();
        }

        return count;
    }

    /// <summary>The test's run_tasklets: three tasklets with ignore_nesting, autoscheduled; all must end. Returns the schedule count.</summary>
    public static int RunTasklets(Func<string, Func<Task>> fn, int bytecodes, bool soft)
    {
        var tasklets = new[] { "t1", "t2", "t3" }.Select(name => Tasklet.Spawn(fn(name))).ToList();
        tasklets.ForEach(t => t.SetIgnoreNesting(true));
        var count = Autoschedule(bytecodes, soft);
        Assert.All(tasklets, t => Assert.False(t.Alive));
        return count;
    }

    /// <summary>
    /// runtask: a pure loop of 1000 iterations (the dummy <c>sys._getframe()</c> every 50 is no switch). Python's
    /// <c>x += 1</c> is left out: that the loop ran to its end shows in the tasklet's death, which the callers check.
    /// </summary>
    public static Func<Task> RunTask(string name) => async () =>
    {
        for (var i = 0; i < 1000; i++)
        {
            await Scheduler.PreemptionPointAsync();
            if (i % 50 == 0)
            {
                _ = name.Length; // a dummy
            }
        }
    };

    /// <summary>runtask_print: a pure loop of 1000 iterations.</summary>
    public static Func<Task> RunTaskPrint(string name) => async () =>
    {
        for (var i = 0; i < 1000; i++)
        {
            await Scheduler.PreemptionPointAsync();
        }
    };

    /// <summary>runtask2: the same loop, but it schedules every 50 iterations ("same time, but should give up timeslice").</summary>
    public static Func<Task> RunTask2(string name) => async () =>
    {
        for (var i = 0; i < 1000; i++)
        {
            await Scheduler.PreemptionPointAsync();
            if (i % 50 == 0)
            {
                await Scheduler.ScheduleAsync();
            }
        }
    };

    /// <summary>runtask3: the loop run through exec; the closest C# analogue is a dynamically invoked delegate.</summary>
    public static Func<Task> RunTask3(string name) => () => (Task)((Func<string, Task>)ExecLoop).DynamicInvoke(name)!;

    private static async Task ExecLoop(string name)
    {
        for (var i = 0; i < 1000; i++)
        {
            await Scheduler.PreemptionPointAsync();
        }
    }

    /// <summary>runtask4: sends its name every 50 of 1000 iterations.</summary>
    public static Func<Task> RunTask4(string name, Channel<string> channel) => async () =>
    {
        for (var i = 0; i < 1000; i++)
        {
            await Scheduler.PreemptionPointAsync();
            if (i % 50 == 0)
            {
                await channel.SendAsync(name);
            }
        }
    };

    /// <summary>runtask5: schedules at the bottom of recursions 1, 10, 100 and 500 deep.</summary>
    public static Func<Task> RunTask5(string name) => async () =>
    {
        foreach (var depth in new[] { 1, 10, 100, 500 })
        {
            await RecurseLevelThenDoSchedule(depth);
        }
    };

    private static async Task RecurseLevelThenDoSchedule(int count)
    {
        await Scheduler.PreemptionPointAsync();
        if (count == 0)
        {
            await Scheduler.ScheduleAsync();
        }
        else
        {
            await RecurseLevelThenDoSchedule(count - 1);
        }
    }

    /// <summary>runtask_atomic: 10 rounds of atomic loops of 1, 10, 100 and 500 iterations.</summary>
    public static Func<Task> RunTaskAtomic(string name) => async () =>
    {
        for (var n = 0; n < 10; n++)
        {
            foreach (var count in new[] { 1, 10, 100, 500 })
            {
                var hold = Tasklet.Current.SetAtomic(true);
                for (var i = 0; i < count; i++)
                {
                    await Scheduler.PreemptionPointAsync();
                    Assert.True(Tasklet.Current.Atomic);
                }

                Tasklet.Current.SetAtomic(hold);
            }
        }
    };

    /// <summary>runtask_bad: raises UserWarning.</summary>
    public static Func<Task> RunTaskBad(string name) => () => throw new UserWarningException();

    /// <summary>servertask: counts what it receives, forever.</summary>
    public static Func<Task> ServerTask(Channel<string> channel, StrongBox<int> count) => async () =>
    {
        while (true)
        {
            await channel.ReceiveAsync();
            count.Value++;
        }
    };

    /// <summary>A pure loop of <paramref name="iterations"/> iterations (Python's <c>for i in xrange(n): i = i</c>).</summary>
    public static async Task Loop(int iterations)
    {
        for (var i = 0; i < iterations; i++)
        {
            await Scheduler.PreemptionPointAsync();
        }
    }
}

/// <summary>Python's UserWarning, raised by runtask_bad.</summary>
public sealed class UserWarningException : Exception
{
    public UserWarningException() : base("UserWarning") { }

    public UserWarningException(string message) : base(message) { }

    public UserWarningException(string message, Exception inner) : base(message, inner) { }
}
