namespace Stackless.Emu.Tests.Properties;

/// <summary>
/// The smallest programs on which the library differs from Stackless's C code, found by
/// <see cref="SchedulingPropertyTests"/> (they match issue 14's points 3 and 4). Each compares the library with
/// <see cref="StacklessModel"/> event by event; they are skipped until the library matches Stackless there, or the
/// difference is stated in compat-matrix.md and the test is turned into a check of the stated behaviour.
/// </summary>
public class KnownDifferenceTests
{
    private static void CheckExact(SchedulingProgram program)
    {
        var expected = StacklessModel.Run(program);
        var actual = LibraryRun.Run(program);
        if (actual.DifferenceFrom(expected) is { } difference)
        {
            throw new Xunit.Sdk.XunitException($"the library differs from Stackless: {difference}\n\nprogram:\n{program}");
        }
    }

    private static SchedulingProgram Program(int channels, TaskletAction[][] scripts, params MainStep[] steps) =>
        ProgramGenerators.Build(scripts, channels, 0, steps);

    private static MainStep Spawn(int t) => new(MainStepKind.Spawn, t, 0, 0, false);

    /// <summary>
    /// t1: send_throw(c0, Sent100) | main: spawn t1; run(). t1 blocks and nothing else can run, so Stackless revives
    /// main with t1's bomb and run() raises Sent100 (scheduling.c, schedule_task_block: "emulate old revive_main
    /// behavior", TASKLET_SETVAL(wakeup, prev->tempval)). The library's run() returns normally.
    /// </summary>
    [Fact(Skip = "Core difference, issue 14 point 3: " + KnownDifferences.BlockedSendThrowWakesMain)]
    public void BlockedSendThrowWakesMainWithItsException() => CheckExact(Program(
        1,
        [[new TaskletAction(TaskletActionKind.SendThrow, 0, 0)]],
        Spawn(1),
        new MainStep(MainStepKind.Run, 0, 0, 0, false)));

    /// <summary>
    /// t1: try receive(c1); receive(c0) | main: spawn t1; send(c0, 1001). Main blocks sending; t1 blocks on c1 with
    /// nothing runnable, so Stackless raises the deadlock in t1 and claims main's tempval (scheduling.c,
    /// schedule_task_block, TASKLET_CLAIMVAL(wakeup, &amp;tmpval)): t1 catches it and then receives None from main.
    /// </summary>
    [Fact(Skip = "Core difference, issue 14 point 4: " + KnownDifferences.DeadlockDropsMainsValue)]
    public void DeadlockInATaskletDropsTheValueMainWasSending() => CheckExact(Program(
        2,
        [[new TaskletAction(TaskletActionKind.Receive, 1, 0, Catch: true), new TaskletAction(TaskletActionKind.Receive, 0, 0)]],
        Spawn(1),
        new MainStep(MainStepKind.Send, 0, 0, 0, false)));
}
