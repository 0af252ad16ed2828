using System.Runtime.CompilerServices;
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

    /// <summary>Where each tasklet stopped last: the step and the exception in scope there (Python's sys.exc_info()).</summary>
    private static readonly ConditionalWeakTable<Tasklet, StrongBox<(int Step, Exception? Exception)>> Stops = new();

    /// <summary>Stackless's <c>schedule_remove((step, sys.exc_info()))</c>: records where the tasklet stops, then pauses it.</summary>
    private static SwitchAwaitable Stop(int step, Exception? inScope)
    {
        Stops.AddOrUpdate(Tasklet.Current, new((step, inScope)));
        return Scheduler.ScheduleRemoveAsync();
    }

    private static (int Step, Exception? Exception) StopOf(Tasklet t) =>
        Stops.TryGetValue(t, out var box) ? box.Value : throw new Xunit.Sdk.XunitException("the tasklet never stopped");

    private static async TaskletFrame ExcStateInner(Exception outer, Exception e2)
    {
        await Stop(2, outer);
        try
        {
            throw e2;
        }
        catch (Exception e)
        {
            await Stop(3, e);
        }

        await Stop(4, outer);
    }

    private static async TaskletFrame ExcStateOuter(Exception e1, Exception e2)
    {
        await Stop(0, null);
        try
        {
            throw e1;
        }
        catch (Exception e)
        {
            await Stop(1, e);
            await ExcStateInner(e, e2);
            await Stop(5, e);
        }

        await Stop(6, null);
    }

    [Fact]
    [StacklessTest(File, "TestExcStatePickling.test_tasklet_pickle_with_exc", "pickle.tasklet", "tasklet.__reduce__", "tasklet.__reduce_ex__", "tasklet.__setstate__", "stackless.schedule_remove")]
    public void Test_tasklet_pickle_with_exc() => Isolated.Run(() =>
    {
        // Python's sys.exc_info() is implicit: the exception being handled. In C# the handled exception is the catch
        // clause's variable, so the frames pass it on explicitly; what the test checks is the same: a tasklet pickled
        // while suspended inside exception handlers (nested, across two frames) restores with each handler's exception,
        // as a copy of the same type, and goes on through the rest of its handlers.
        var e1 = new DivideByZeroException("test");
        var e2 = new NotImplementedException("TEST");
        (Type? Type, Exception? Exception)[] expected =
        [
            (null, null),                            // 0
            (typeof(DivideByZeroException), e1),     // 1
            (typeof(DivideByZeroException), e1),     // 2
            (typeof(NotImplementedException), e2),   // 3
            (typeof(DivideByZeroException), e1),     // 4
            (typeof(DivideByZeroException), e1),     // 5
            (null, null),                            // 6
        ];

        var t = Tasklet.SpawnFrame(() => ExcStateOuter(e1, e2));
        var pickles = new List<byte[]>();
        Scheduler.Run();
        for (var i = 0; i < expected.Length; i++)
        {
            var (step, inScope) = StopOf(t);
            Assert.Equal(i, step);
            Assert.Same(expected[i].Exception, inScope);
            pickles.Add(t.Dump());
            t.Insert();
            Scheduler.Run();
        }

        Assert.False(t.Alive);

        var options = new PickleOptions().AllowAssemblyOf<ExceptionTests>();
        for (var n = 0; n < pickles.Count; n++)
        {
            var copy = Tasklet.Load(pickles[n], options);
            copy.Insert();
            Scheduler.Run();
            for (var i = n + 1; i < expected.Length; i++)
            {
                var (step, inScope) = StopOf(copy);
                Assert.Equal(i, step);
                if (expected[i].Exception is null)
                {
                    Assert.Null(inScope);
                }
                else
                {
                    Assert.NotNull(inScope);
                    Assert.NotSame(expected[i].Exception, inScope);
                    Assert.IsType(expected[i].Type!, inScope);
                    Assert.Equal(expected[i].Exception!.Message, inScope.Message);
                }

                copy.Insert();
                Scheduler.Run();
            }

            Assert.False(copy.Alive);
        }
    });

    [Fact]
    [StacklessTest(File, "TestExcStatePickling.test_tasklet_reduce_wo_exc", "pickle.tasklet", "tasklet.__reduce__")]
    public void Test_tasklet_reduce_wo_exc() => Isolated.Run(() =>
    {
        // Stackless: the exception-state slots of a new tasklet's __reduce__ state are all None. Here: the pickle of a new
        // tasklet holds no exception anywhere, and its copy runs to its end without one.
        var t = new Tasklet([PickleDelegateTarget] () => Task.CompletedTask).Setup();
        var data = t.Dump();
        Assert.DoesNotContain("$exception", System.Text.Encoding.UTF8.GetString(data), StringComparison.Ordinal);
        var copy = Tasklet.Load(data, new PickleOptions().AllowAssemblyOf<ExceptionTests>());
        t.Kill();
        copy.Insert();
        Scheduler.Run();
        Assert.False(copy.Alive);
    });
}
