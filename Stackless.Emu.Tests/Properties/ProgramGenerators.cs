using CsCheck;

namespace Stackless.Emu.Tests.Properties;

/// <summary>CsCheck generators of <see cref="SchedulingProgram"/>s: up to 4 tasklets with up to 4 actions, 1-2 channels, up to 14 main steps.</summary>
internal static class ProgramGenerators
{
    private static Gen<TaskletAction> Action(int channels) =>
        Gen.Select(
            Gen.Frequency(
                (6, Gen.Const(TaskletActionKind.Send)),
                (6, Gen.Const(TaskletActionKind.Receive)),
                (2, Gen.Const(TaskletActionKind.Schedule)),
                (2, Gen.Const(TaskletActionKind.ScheduleRemove)),
                (1, Gen.Const(TaskletActionKind.SendThrow))),
            Gen.Int[0, channels - 1],
            Gen.Int[0, 3],
            (kind, channel, dice) => new TaskletAction(kind, kind is TaskletActionKind.Schedule or TaskletActionKind.ScheduleRemove ? 0 : channel, 0, Catch: dice == 0));

    private static Gen<MainStep> Step(int tasklets, int channels)
    {
        var t = Gen.Int[1, tasklets];
        var c = Gen.Int[0, channels - 1];
        return Gen.Frequency(
            (2, t.Select(i => new MainStep(MainStepKind.Spawn, i, 0, 0, false))),
            (4, Gen.Const(new MainStep(MainStepKind.Run, 0, 0, 0, false))),
            (2, Gen.Const(new MainStep(MainStepKind.Schedule, 0, 0, 0, false))),
            (2, c.Select(i => new MainStep(MainStepKind.Send, 0, i, 0, false))),
            (2, c.Select(i => new MainStep(MainStepKind.Receive, 0, i, 0, false))),
            (1, t.Select(i => new MainStep(MainStepKind.Insert, i, 0, 0, false))),
            (1, t.Select(i => new MainStep(MainStepKind.Remove, i, 0, 0, false))),
            (1, t.Select(i => new MainStep(MainStepKind.RunTasklet, i, 0, 0, false))),
            (1, t.Select(i => new MainStep(MainStepKind.SwitchTasklet, i, 0, 0, false))),
            (2, Gen.Select(t, Gen.Bool, (i, pending) => new MainStep(MainStepKind.Kill, i, 0, 0, pending))),
            (2, Gen.Select(t, Gen.Bool, (i, pending) => new MainStep(MainStepKind.Throw, i, 0, 0, pending))),
            (1, c.Select(i => new MainStep(MainStepKind.Close, 0, i, 0, false))),
            (1, c.Select(i => new MainStep(MainStepKind.Open, 0, i, 0, false))),
            (1, Gen.Select(c, Gen.Int[-1, 1], (i, p) => new MainStep(MainStepKind.Preference, 0, i, p, false))),
            (1, Gen.Select(c, Gen.Int[0, 1], (i, a) => new MainStep(MainStepKind.ScheduleAll, 0, i, a, false))),
            (1, Gen.Select(t, Gen.Int[0, 1], (i, b) => new MainStep(MainStepKind.BlockTrap, i, 0, b, false))));
    }

    /// <summary>Random programs; the first tasklets are spawned up front, the rest (if any) by spawn steps.</summary>
    public static readonly Gen<SchedulingProgram> Programs =
        from tasklets in Gen.Int[1, 4]
        from channels in Gen.Int[1, 2]
        from scripts in Action(channels).Array[0, 4].Array[tasklets]
        from spawnedFirst in Gen.Int[0, tasklets]
        from steps in Step(tasklets, channels).Array[0, 14]
        select Build(scripts, channels, spawnedFirst, steps);

    /// <summary>Numbers the values (unique per send) and puts the up-front spawns first.</summary>
    public static SchedulingProgram Build(TaskletAction[][] scripts, int channels, int spawnedFirst, IEnumerable<MainStep> steps)
    {
        var numbered = scripts
            .Select((script, i) => (IReadOnlyList<TaskletAction>)[.. script.Select((a, j) => a with { Value = a.Kind is TaskletActionKind.Send or TaskletActionKind.SendThrow ? (100 * (i + 1)) + j : 0 })])
            .ToList();
        var all = Enumerable.Range(1, spawnedFirst).Select(i => new MainStep(MainStepKind.Spawn, i, 0, 0, false)).Concat(steps).ToList();
        for (var k = 0; k < all.Count; k++)
        {
            if (all[k].Kind == MainStepKind.Send)
            {
                all[k] = all[k] with { Arg = k };
            }
        }

        return new SchedulingProgram(numbered, channels, all);
    }
}
