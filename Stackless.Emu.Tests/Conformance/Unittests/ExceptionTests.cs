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
}
