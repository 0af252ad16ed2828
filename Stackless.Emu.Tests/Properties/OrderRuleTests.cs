namespace Stackless.Emu.Tests.Properties;

/// <summary>
/// The order rules replayed exhaustively on the shapes where Stackless's C code decides them, each compared event by
/// event and state by state with <see cref="StacklessModel"/>: the channel hand-over (channelobject.c,
/// generic_channel_cando: preference -1/0/1 against the direction, schedule_all, a waiting sender or receiver, main or a
/// tasklet acting, 0-2 other runnables), where kill/throw put their target (taskletobject.c,
/// _impl_tasklet_throw_bomb: pending or not, target new, runnable at each position, blocked, paused), and where
/// schedule, schedule_remove, tasklet.run and tasklet.switch leave everybody (stacklessmodule.c PyStackless_Schedule,
/// taskletobject.c impl_tasklet_run_remove).
/// </summary>
public class OrderRuleTests
{
    private static TaskletAction Send(int channel = 0) => new(TaskletActionKind.Send, channel, 0);

    private static TaskletAction Receive(int channel = 0) => new(TaskletActionKind.Receive, channel, 0);

    private static readonly TaskletAction Schedule = new(TaskletActionKind.Schedule, 0, 0);

    private static readonly TaskletAction ScheduleRemove = new(TaskletActionKind.ScheduleRemove, 0, 0);

    private static MainStep Step(MainStepKind kind, int tasklet = 0, int channel = 0, int arg = 0, bool pending = false) =>
        new(kind, tasklet, channel, arg, pending);

    /// <summary>Runs every program; fails once, listing every shape on which the library differs.</summary>
    private static void CheckAll(IEnumerable<(string Shape, SchedulingProgram Program)> shapes)
    {
        var failures = new List<string>();
        var count = 0;
        foreach (var (shape, program) in shapes)
        {
            count++;
            var expected = StacklessModel.Run(program);
            var actual = LibraryRun.Run(program);
            if (actual.DifferenceFrom(expected) is { } difference)
            {
                failures.Add($"{shape}: {difference}\n{program}");
            }
        }

        Assert.True(count > 0);
        Assert.True(failures.Count == 0, $"{failures.Count} of {count} shapes differ from Stackless:\n\n{string.Join("\n\n", failures)}");
    }

    private static IEnumerable<(string, SchedulingProgram)> HandOverShapes()
    {
        foreach (var preference in new[] { -1, 0, 1 })
        {
            foreach (var scheduleAll in new[] { 0, 1 })
            {
                foreach (var waiterSends in new[] { true, false })
                {
                    foreach (var extras in new[] { 0, 1, 2 })
                    {
                        foreach (var actorIsMain in new[] { true, false })
                        {
                            // t1 waits on c0; t2..t(1+extras) are other runnables; the actor (main, or the last tasklet)
                            // does the other half. Everybody records one more step, so the order they run in shows.
                            var scripts = new List<TaskletAction[]> { new[] { waiterSends ? Send() : Receive(), Schedule } };
                            scripts.AddRange(Enumerable.Range(0, extras).Select(_ => new[] { Schedule, Schedule }));
                            if (!actorIsMain)
                            {
                                scripts.Add([waiterSends ? Receive() : Send(), Schedule]);
                            }

                            var steps = new List<MainStep>
                            {
                                Step(MainStepKind.Preference, arg: preference),
                                Step(MainStepKind.ScheduleAll, arg: scheduleAll),
                                Step(MainStepKind.Spawn, 1),
                                Step(MainStepKind.Run), // t1 blocks on c0
                            };
                            steps.AddRange(Enumerable.Range(2, scripts.Count - 1).Select(t => Step(MainStepKind.Spawn, t)));
                            steps.Add(actorIsMain
                                ? Step(waiterSends ? MainStepKind.Receive : MainStepKind.Send)
                                : Step(MainStepKind.Run));
                            steps.Add(Step(MainStepKind.Run));
                            var shape = $"preference {preference}, schedule_all {scheduleAll}, {(waiterSends ? "sender" : "receiver")} waiting, " +
                                        $"{extras} other runnable(s), {(actorIsMain ? "main" : "a tasklet")} acting";
                            yield return (shape, ProgramGenerators.Build([.. scripts], 1, 0, steps));
                        }
                    }
                }
            }
        }
    }

    [Fact]
    public void ChannelHandOverFollowsPreferenceAndScheduleAll() => CheckAll(HandOverShapes());

    private static IEnumerable<(string, SchedulingProgram)> ThrowShapes()
    {
        string[] states = ["new", "runnable first", "runnable last", "blocked", "paused", "started and removed", "dead"];
        foreach (var state in states)
        {
            foreach (var kill in new[] { true, false })
            {
                foreach (var pending in new[] { true, false })
                {
                    foreach (var catches in new[] { false, true })
                    {
                        // t1 is the target; t2 and t3 are other runnables that record two steps each.
                        var target = state switch
                        {
                            "blocked" => new[] { new TaskletAction(TaskletActionKind.Receive, 0, 0, catches), Schedule },
                            "started and removed" => new[] { new TaskletAction(TaskletActionKind.ScheduleRemove, 0, 0, catches), Schedule },
                            _ => new[] { new TaskletAction(TaskletActionKind.Schedule, 0, 0, catches), Schedule },
                        };
                        TaskletAction[][] scripts = [target, [Schedule, Schedule], [Schedule, Schedule]];
                        var steps = new List<MainStep>();
                        switch (state)
                        {
                            case "new":
                                steps.Add(Step(MainStepKind.Spawn, 2));
                                steps.Add(Step(MainStepKind.Spawn, 1));
                                steps.Add(Step(MainStepKind.Spawn, 3));
                                break;
                            case "runnable first":
                            case "runnable last":
                                steps.Add(Step(MainStepKind.Spawn, 1));
                                steps.Add(Step(MainStepKind.RunTasklet, 1)); // t1 started, schedules back to main
                                steps.Add(Step(MainStepKind.Spawn, 2));
                                steps.Add(Step(MainStepKind.Spawn, 3));
                                if (state == "runnable last")
                                {
                                    steps.Add(Step(MainStepKind.Remove, 1));
                                    steps.Add(Step(MainStepKind.Insert, 1));
                                }

                                break;
                            case "blocked":
                            case "started and removed":
                                steps.Add(Step(MainStepKind.Spawn, 1));
                                steps.Add(Step(MainStepKind.Run)); // t1 blocks / removes itself
                                steps.Add(Step(MainStepKind.Spawn, 2));
                                steps.Add(Step(MainStepKind.Spawn, 3));
                                break;
                            case "paused":
                                steps.Add(Step(MainStepKind.Spawn, 1));
                                steps.Add(Step(MainStepKind.Spawn, 2));
                                steps.Add(Step(MainStepKind.Remove, 1));
                                steps.Add(Step(MainStepKind.Spawn, 3));
                                break;
                            default: // dead
                                steps.Add(Step(MainStepKind.Spawn, 1));
                                steps.Add(Step(MainStepKind.Kill, 1));
                                steps.Add(Step(MainStepKind.Spawn, 2));
                                steps.Add(Step(MainStepKind.Spawn, 3));
                                break;
                        }

                        steps.Add(Step(kill ? MainStepKind.Kill : MainStepKind.Throw, 1, pending: pending));
                        steps.Add(Step(MainStepKind.Run));
                        var shape = $"{(kill ? "kill" : "throw")}(pending={pending}) of a {state} tasklet{(catches ? " that catches it" : "")}";
                        yield return (shape, ProgramGenerators.Build(scripts, 1, 0, steps));
                    }
                }
            }
        }
    }

    [Fact]
    public void KillAndThrowPlaceTheirTargetAsStackless() => CheckAll(ThrowShapes());

    private static IEnumerable<(string, SchedulingProgram)> ReplacedPendingShapes()
    {
        // Issue 14, point 1: a throw replaces a pending one (taskletobject.c, _impl_tasklet_throw_bomb:
        // TASKLET_CLAIMVAL + TASKLET_SETVAL_OWN), so the target meets only the second exception.
        foreach (var started in new[] { false, true })
        {
            foreach (var catches in new[] { false, true })
            {
                foreach (var firstKill in new[] { true, false })
                {
                    foreach (var secondKill in new[] { true, false })
                    {
                        foreach (var secondPending in new[] { true, false })
                        {
                            TaskletAction[][] scripts = [[new TaskletAction(TaskletActionKind.Schedule, 0, 0, catches), Schedule]];
                            var steps = new List<MainStep> { Step(MainStepKind.Spawn, 1) };
                            if (started)
                            {
                                steps.Add(Step(MainStepKind.RunTasklet, 1));
                            }

                            steps.Add(Step(firstKill ? MainStepKind.Kill : MainStepKind.Throw, 1, pending: true));
                            steps.Add(Step(secondKill ? MainStepKind.Kill : MainStepKind.Throw, 1, pending: secondPending));
                            steps.Add(Step(MainStepKind.Run));
                            var shape = $"{(firstKill ? "kill" : "throw")}(pending=True) then {(secondKill ? "kill" : "throw")}(pending={secondPending}) " +
                                        $"of a {(started ? "started" : "new")} tasklet{(catches ? " that catches" : "")}";
                            yield return (shape, ProgramGenerators.Build(scripts, 1, 0, steps));
                        }
                    }
                }
            }
        }
    }

    [Fact]
    public void ASecondThrowReplacesAPendingOne() => CheckAll(ReplacedPendingShapes());

    private static IEnumerable<(string, SchedulingProgram)> SwitchShapes()
    {
        MainStepKind[] kinds = [MainStepKind.Schedule, MainStepKind.RunTasklet, MainStepKind.SwitchTasklet, MainStepKind.Run];
        foreach (var kind in kinds)
        {
            foreach (var runnables in new[] { 1, 2, 3 })
            {
                foreach (var target in Enumerable.Range(1, runnables))
                {
                    foreach (var removeSelf in new[] { false, true })
                    {
                        // Each tasklet records a schedule (or a schedule_remove) and a final schedule, so both the order in
                        // which they run and where they end up show in the events and the states.
                        var scripts = Enumerable.Range(1, runnables)
                            .Select(_ => new[] { removeSelf ? ScheduleRemove : Schedule, Schedule })
                            .ToArray();
                        var steps = Enumerable.Range(1, runnables).Select(t => Step(MainStepKind.Spawn, t)).ToList();
                        steps.Add(Step(kind, target));
                        steps.Add(Step(MainStepKind.Schedule));
                        steps.Add(Step(MainStepKind.Run));
                        var shape = $"main {kind} (target t{target}) with {runnables} runnable(s) that {(removeSelf ? "schedule_remove" : "schedule")}";
                        yield return (shape, ProgramGenerators.Build(scripts, 1, 0, steps));
                    }
                }
            }
        }
    }

    [Fact]
    public void ScheduleRunAndSwitchLeaveEverybodyWhereStacklessDoes() => CheckAll(SwitchShapes());
}
