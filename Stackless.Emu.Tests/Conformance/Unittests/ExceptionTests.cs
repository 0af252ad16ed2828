using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Conformance.Unittests;

/// <summary>Ports of Stackless/unittests/test_exception.py.</summary>
public class ExceptionTests
{
    private const string File = "Stackless/unittests/test_exception.py";

    [Fact]
    [StacklessTest(File, "TestException.testTaskletExitCode", "stackless.TaskletExit")]
    public void TestTaskletExitCode() => Isolated.Run(() =>
    {
        // Stackless: TaskletExit is a SystemExit, so instances carry .code. The emulation's TaskletExit is a plain
        // exception; check that an instance is usable, and that the one a kill raises reaches the tasklet intact.
        var exit = new TaskletExit();
        Assert.NotNull(exit.Message);
        Assert.Null(exit.InnerException);

        TaskletExit? seen = null;
        var t = Tasklet.Spawn(async () =>
        {
            try
            {
                await Scheduler.ScheduleRemoveAsync();
            }
            catch (TaskletExit e)
            {
                seen = e;
                throw;
            }
        });
        t.Run();
        t.Kill();
        Assert.NotNull(seen);
        Assert.IsAssignableFrom<TaskletExit>(seen);
        Assert.False(t.Alive);
    });

    // ---------------------------------------------------------------- TestExcStatePickling

    [Fact]
    [StacklessTest(File, "TestExcStatePickling.test_tasklet_reduce_wo_exc", "pickle.tasklet", "tasklet.__reduce__")]
    public void Test_tasklet_reduce_wo_exc() => Isolated.Run(() =>
    {
        // Stackless: the exception state in a new tasklet's __reduce__ is all None. Here: the pickle of a new tasklet holds
        // no exception, and its copy runs without one.
        var t = new Tasklet([PickleDelegateTarget] () => Task.CompletedTask).Setup();
        var data = t.Dump();
        Assert.DoesNotContain("$exception", System.Text.Encoding.UTF8.GetString(data), StringComparison.Ordinal);
        var copy = Pickling.RoundTrip(t);
        t.Kill();
        copy.Insert();
        Scheduler.Run();
        Assert.False(copy.Alive);
    });

    /// <summary>sys.exc_info() at each step: C# has no implicit current exception, so the handled one is passed along.</summary>
    private static SwitchAwaitable Report(int step, Exception? handled)
    {
        Tasklet.Current.TempVal = (step, handled);
        return Scheduler.ScheduleRemoveAsync();
    }

    private static async TaskletFrame TaskInner(Exception outer, NotImplementedException e2)
    {
        await Report(2, outer);
        try
        {
            throw e2;
        }
        catch (NotImplementedException handled)
        {
            await Report(3, handled); // suspended inside a catch block
        }

        await Report(4, outer);
    }

    private static async TaskletFrame TaskOuter(DivideByZeroException e1, NotImplementedException e2)
    {
        await Report(0, null);
        try
        {
            throw e1;
        }
        catch (DivideByZeroException handled)
        {
            await Report(1, handled);
            await TaskInner(handled, e2);
            await Report(5, handled);
        }

        await Report(6, null);
    }

    [Fact]
    [StacklessTest(File, "TestExcStatePickling.test_tasklet_pickle_with_exc", "pickle.tasklet", "tasklet.__reduce__", "stackless.schedule_remove", "tasklet.tempval")]
    public void Test_tasklet_pickle_with_exc() => Isolated.Run(() =>
    {
        var e1 = new DivideByZeroException("test");
        var e2 = new NotImplementedException("TEST");
        Exception?[] expected = [null, e1, e1, e2, e1, e1, null];
        var t = Tasklet.SpawnFrame(() => TaskOuter(e1, e2));
        var pickles = new List<byte[]>();
        Scheduler.Run();
        for (var i = 0; i < expected.Length; i++)
        {
            var (step, handled) = ((int, Exception?))t.TempVal!;
            Assert.Equal(i, step);
            Assert.Same(expected[i], handled);
            pickles.Add(t.Dump());
            t.Insert();
            Scheduler.Run();
        }

        Assert.False(t.Alive);
        for (var n = 0; n < pickles.Count; n++)
        {
            var copy = Tasklet.Load(pickles[n], new PickleOptions().AllowAssemblyOf<ExceptionTests>());
            copy.Insert();
            Scheduler.Run();
            for (var i = n + 1; i < expected.Length; i++)
            {
                var (step, handled) = ((int, Exception?))copy.TempVal!;
                Assert.Equal(i, step);
                if (expected[i] is null)
                {
                    Assert.Null(handled);
                }
                else
                {
                    Assert.NotSame(expected[i], handled); // a copy: the same type and message
                    Assert.IsType(expected[i]!.GetType(), handled);
                    Assert.Equal(expected[i]!.Message, handled!.Message);
                }

                copy.Insert();
                Scheduler.Run();
            }

            Assert.False(copy.Alive);
        }
    });
}
