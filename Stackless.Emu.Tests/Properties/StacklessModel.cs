using System.Globalization;

namespace Stackless.Emu.Tests.Properties;

/// <summary>
/// A model of Stackless's single-thread scheduler and channels, written from its C source (stackless-dev/cpython
/// main-slp, Stackless/module: channelobject.c generic_channel_action/cando/block, scheduling.c slp_schedule_task,
/// schedule_task_block and slp_tasklet_end, taskletobject.c insert/remove/run/switch and _impl_tasklet_throw_bomb,
/// stacklessmodule.c PyStackless_Schedule and PyStackless_RunWatchdogEx). It runs a <see cref="SchedulingProgram"/> and
/// reports the same <see cref="Observation"/> the library's run does, so the two can be compared event by event.
/// The runnable queue is Stackless's circular list with <c>current</c> at index 0; tempvals carry values and bombs as in C.
/// </summary>
internal sealed class StacklessModel
{
    /// <summary>An exception travelling in a tempval (Stackless's bomb).</summary>
    private sealed record Bomb(string Kind);

    /// <summary>What a suspended tasklet is waiting to complete when it is switched to again.</summary>
    private enum Suspension
    {
        NotStarted,
        Send,
        Receive,
        Schedule,
        ScheduleRemove,
        MainStep,
    }

    private sealed class ModelTasklet(int id, IReadOnlyList<TaskletAction> script)
    {
        public int Id { get; } = id;

        public IReadOnlyList<TaskletAction> Script { get; } = script;

        public int Pc;
        public bool Alive;
        public bool BlockTrap;
        public ModelChannel? BlockedIn;
        public int Dir;
        public object? TempVal;
        public Suspension Suspended;

        public string Name => ChannelView.Name(Id);

        public string Doing => Pc >= Script.Count ? "start" : Script[Pc].ToString();
    }

    private sealed class ModelChannel(int id)
    {
        public int Id { get; } = id;

        public List<ModelTasklet> Queue { get; } = [];

        public int Balance;
        public int Preference = -1;
        public bool ScheduleAll;
        public bool Closing;
    }

    private readonly SchedulingProgram _program;
    private readonly Observation _observation = new();
    private readonly ModelTasklet _main;
    private readonly ModelTasklet[] _tasklets;
    private readonly ModelChannel[] _channels;
    private readonly bool[] _spawned;

    /// <summary>The runnable queue: index 0 is the current tasklet.</summary>
    private readonly List<ModelTasklet> _run = [];

    /// <summary>Whether to follow Stackless even where the library states a difference (<see cref="KnownDifferences"/>).</summary>
    private readonly bool _exactStackless;

    private StacklessModel(SchedulingProgram program, bool exactStackless)
    {
        _program = program;
        _exactStackless = exactStackless;
        _main = new ModelTasklet(0, []) { Alive = true, Suspended = Suspension.MainStep };
        _tasklets = [.. program.Scripts.Select((s, i) => new ModelTasklet(i + 1, s))];
        _spawned = new bool[_tasklets.Length];
        _channels = [.. Enumerable.Range(0, program.Channels).Select(i => new ModelChannel(i))];
        _run.Add(_main);
    }

    /// <summary>
    /// Runs <paramref name="program"/> (then kills what is left, as every runner does) and reports what Stackless does,
    /// with the differences the library states in compat-matrix.md (<see cref="KnownDifferences"/>) unless
    /// <paramref name="exactStackless"/>; <see cref="Observation.KnownDifference"/> names the one the run took, if any.
    /// </summary>
    public static Observation Run(SchedulingProgram program, bool exactStackless = false)
    {
        var model = new StacklessModel(program, exactStackless);
        var steps = program.Steps;
        for (var k = 0; k < steps.Count; k++)
        {
            model.MainStep(k, steps[k]);
            model._observation.States.Add(model.View());
        }

        // Clean-up: kill what is left, in order, until nothing is alive.
        var step = steps.Count;
        while (model._tasklets.FirstOrDefault(t => t.Alive) is { } alive)
        {
            model.MainStep(step++, new MainStep(MainStepKind.Kill, alive.Id, 0, 0, false));
        }

        model._observation.States.Add(model.View());
        return model._observation;
    }

    private ModelTasklet Current => _run[0];

    private void Log(string text) => _observation.Events.Add(text);

    private void MainStep(int k, MainStep step)
    {
        var t = step.NamesTasklet ? _tasklets[step.Tasklet - 1] : null;
        var c = step.NamesChannel ? _channels[step.Channel] : null;
        if (t is not null && !_spawned[t.Id - 1] && step.Kind != MainStepKind.Spawn)
        {
            return; // steps on a tasklet that does not exist yet are skipped
        }

        var prefix = $"main {k.ToString(CultureInfo.InvariantCulture)}:";
        switch (step.Kind)
        {
            case MainStepKind.Spawn:
                if (_spawned[t!.Id - 1])
                {
                    return;
                }

                _spawned[t.Id - 1] = true;
                t.Alive = true;
                t.Suspended = Suspension.NotStarted;
                _run.Add(t);
                return;
            case MainStepKind.Close:
                c!.Closing = true;
                return;
            case MainStepKind.Open:
                c!.Closing = false;
                return;
            case MainStepKind.Preference:
                c!.Preference = step.Arg;
                return;
            case MainStepKind.ScheduleAll:
                c!.ScheduleAll = step.Arg != 0;
                return;
            case MainStepKind.BlockTrap:
                t!.BlockTrap = step.Arg != 0;
                return;
            case MainStepKind.Insert:
                if (InsertChecked(t!) is { } insertError)
                {
                    Log($"{prefix} raised {insertError}");
                }

                return;
            case MainStepKind.Remove:
                if (t!.BlockedIn is not null)
                {
                    Log($"{prefix} raised Invalid"); // "You cannot remove a blocked tasklet."
                }
                else
                {
                    _run.Remove(t);
                }

                return;
        }

        // The steps that may switch: main suspends in them and resumes when switched to again.
        string? raised = null;
        object? result = null;
        switch (step.Kind)
        {
            case MainStepKind.Run:
                // PyStackless_RunWatchdogEx: main leaves the runnables (it floats as the watchdog) and switches away.
                _main.TempVal = null;
                _run.RemoveAt(0);
                Switch(_main, _run.Count > 0 ? _run[0] : null);
                break;
            case MainStepKind.Schedule:
                _main.TempVal = null;
                Switch(_main, _run.Count > 1 ? _run[1] : _main);
                break;
            case MainStepKind.Send:
            case MainStepKind.Receive:
                raised = ChannelAction(_main, c!, step.Kind == MainStepKind.Send ? 1 : -1, step.Kind == MainStepKind.Send ? step.Value : null);
                break;
            case MainStepKind.RunTasklet:
            case MainStepKind.SwitchTasklet:
                if (InsertChecked(t!) is { } runError)
                {
                    raised = runError;
                    break;
                }

                _main.TempVal = null;
                if (step.Kind == MainStepKind.SwitchTasklet)
                {
                    _run.RemoveAt(0); // main is replaced by the target: paused
                }

                Switch(_main, t);
                break;
            case MainStepKind.Kill:
            case MainStepKind.Throw:
                raised = ThrowTo(t!, step.Kind == MainStepKind.Kill ? "TaskletExit" : $"Probe{k.ToString(CultureInfo.InvariantCulture)}", step.Pending);
                break;
        }

        if (raised is null && Current != _main)
        {
            RunUntilMainIsCurrent();
        }

        if (raised is null)
        {
            var value = TakeValue(_main);
            if (value is Bomb bomb)
            {
                raised = bomb.Kind;
            }
            else
            {
                result = value;
            }
        }

        if (raised is not null)
        {
            Log(step.Kind == MainStepKind.Send ? $"{prefix} raised {raised} in send {step.Value}" : $"{prefix} raised {raised}");
        }
        else if (step.Kind == MainStepKind.Receive)
        {
            Log($"{prefix} got {result}");
        }
        else if (step.Kind == MainStepKind.Send)
        {
            Log($"{prefix} sent {step.Value}");
        }
        else
        {
            Log($"{prefix} ok");
        }
    }

    /// <summary>impl_tasklet_insert: refuses blocked and dead tasklets, appends a floating one.</summary>
    private string? InsertChecked(ModelTasklet t)
    {
        if (t.BlockedIn is not null)
        {
            return "Invalid"; // "You cannot run a blocked tasklet"
        }

        if (!t.Alive)
        {
            return "Invalid"; // "You cannot run an unbound(dead) tasklet"
        }

        if (!_run.Contains(t))
        {
            _run.Add(t);
        }

        return null;
    }

    /// <summary>_impl_tasklet_throw_bomb from main; returns the kind main raises at once, or null.</summary>
    private string? ThrowTo(ModelTasklet t, string kind, bool pending)
    {
        if (!t.Alive)
        {
            // A dead tasklet: TaskletExit is no error (it only ends up unscheduled), anything else is.
            return kind == "TaskletExit" ? null : "Invalid";
        }

        t.TempVal = new Bomb(kind); // replaces a pending bomb (TASKLET_CLAIMVAL + TASKLET_SETVAL_OWN)
        if (pending)
        {
            if (t.BlockedIn is not null)
            {
                RemoveFromChannel(t);
            }

            if (!_run.Contains(t))
            {
                _run.Add(t);
            }

            return null;
        }

        _main.TempVal = null;
        Switch(_main, t);
        return null;
    }

    /// <summary>
    /// slp_schedule_task from the current tasklet <paramref name="prev"/> to <paramref name="next"/> (null: nothing to
    /// run, schedule_task_block). A blocked target leaves its channel, a floating one is inserted; then it becomes current.
    /// When next is prev itself, nothing switches and prev goes on with its tempval.
    /// </summary>
    private void Switch(ModelTasklet prev, ModelTasklet? next)
    {
        if (next is null)
        {
            Block(prev);
            return;
        }

        if (next.BlockedIn is not null)
        {
            RemoveFromChannel(next);
            _run.Add(next);
        }
        else if (!_run.Contains(next))
        {
            _run.Add(next);
        }

        // current = next: rotate the circular list.
        var at = _run.IndexOf(next);
        if (at > 0)
        {
            var head = _run.GetRange(0, at);
            _run.RemoveRange(0, at);
            _run.AddRange(head);
        }
    }

    /// <summary>schedule_task_block on one thread: revive main if it floats in run(), else raise a deadlock in prev.</summary>
    private void Block(ModelTasklet prev)
    {
        var mainFloats = _main.BlockedIn is null && !_run.Contains(_main);
        if (mainFloats)
        {
            // "emulate old revive_main behavior": main gets prev's bomb, if prev carries one.
            if (prev.TempVal is Bomb)
            {
                _main.TempVal = prev.TempVal;
            }

            Switch(prev, _main);
            return;
        }

        // Deadlock: main's tempval is claimed (a value it was sending is dropped); prev raises it. The library keeps the
        // value main sends (compat-matrix.md states the difference): the model does so unless asked for Stackless exactly.
        var mainSends = prev != _main && _main.BlockedIn is not null && _main.Dir > 0 && _main.TempVal is not null;
        if (mainSends)
        {
            _observation.KnownDifference ??= KnownDifferences.DeadlockDropsMainsValue;
        }

        if (!mainSends || _exactStackless)
        {
            _main.TempVal = null;
        }

        prev.TempVal = new Bomb("Deadlock");
        Switch(prev, prev);
    }

    private static void RemoveFromChannel(ModelTasklet t)
    {
        var c = t.BlockedIn!;
        c.Queue.Remove(t);
        c.Balance -= t.Dir;
        t.BlockedIn = null;
        t.Dir = 0;
    }

    /// <summary>
    /// generic_channel_action for <paramref name="source"/> (the current tasklet). Returns the kind it raises at once
    /// (block trap, closed channel), or null when the action went on (switched, or completed in place).
    /// </summary>
    private string? ChannelAction(ModelTasklet source, ModelChannel c, int dir, object? arg)
    {
        var cando = dir > 0 ? c.Balance < 0 : c.Balance > 0;
        source.TempVal = arg;
        if (cando)
        {
            var target = c.Queue[0];
            RemoveFromChannel(target);
            (source.TempVal, target.TempVal) = (target.TempVal, source.TempVal);
            ModelTasklet switchTo;
            if (c.ScheduleAll)
            {
                _run.Add(target); // target goes last
                switchTo = _run[1]; // always schedule away from source
            }
            else if (c.Preference == -dir)
            {
                _run.Insert(1, target); // target right after source, and it runs now
                switchTo = target;
            }
            else
            {
                _run.Add(target);
                switchTo = source;
            }

            Switch(source, switchTo);
            return null;
        }

        if (source.BlockTrap)
        {
            source.TempVal = null;
            return "BlockTrap";
        }

        if (c.Closing)
        {
            source.TempVal = null;
            return "Closed";
        }

        _run.RemoveAt(0); // slp_current_remove
        c.Queue.Add(source);
        c.Balance += dir;
        source.BlockedIn = c;
        source.Dir = dir;
        Switch(source, _run.Count > 0 ? _run[0] : null);
        return null;
    }

    private static object? TakeValue(ModelTasklet t)
    {
        var value = t.TempVal;
        t.TempVal = null;
        return value;
    }

    /// <summary>Runs tasklets, each resuming where it was suspended, until main is current again.</summary>
    private void RunUntilMainIsCurrent()
    {
        while (Current != _main)
        {
            Resume(Current);
        }
    }

    /// <summary>The current tasklet <paramref name="t"/> resumes: completes the operation it waited in, then runs its script.</summary>
    private void Resume(ModelTasklet t)
    {
        var value = TakeValue(t);
        if (value is Bomb bomb)
        {
            if (t.Suspended == Suspension.NotStarted)
            {
                End(t, bomb.Kind);
            }
            else
            {
                Fail(t, bomb.Kind);
            }

            return;
        }

        switch (t.Suspended)
        {
            case Suspension.NotStarted:
                Log($"{t.Name} start");
                break;
            case Suspension.Send:
                Log(t.Script[t.Pc].Kind == TaskletActionKind.SendThrow
                    ? $"{t.Name} passed Sent{t.Script[t.Pc].Value}"
                    : $"{t.Name} sent {t.Script[t.Pc].Value}");
                t.Pc++;
                break;
            case Suspension.Receive:
                Log($"{t.Name} got {value}");
                t.Pc++;
                break;
            case Suspension.Schedule:
                Log($"{t.Name} scheduled");
                t.Pc++;
                break;
            case Suspension.ScheduleRemove:
                Log($"{t.Name} removed");
                t.Pc++;
                break;
        }

        Continue(t);
    }

    /// <summary>Runs <paramref name="t"/>'s script from its next action until it is suspended or ends.</summary>
    private void Continue(ModelTasklet t)
    {
        while (true)
        {
            if (t.Pc >= t.Script.Count)
            {
                Log($"{t.Name} end");
                End(t, null);
                return;
            }

            var action = t.Script[t.Pc];
            switch (action.Kind)
            {
                case TaskletActionKind.Send:
                case TaskletActionKind.SendThrow:
                case TaskletActionKind.Receive:
                    var send = action.Kind != TaskletActionKind.Receive;
                    t.Suspended = send ? Suspension.Send : Suspension.Receive;
                    object? arg = action.Kind switch
                    {
                        TaskletActionKind.Send => action.Value,
                        TaskletActionKind.SendThrow => new Bomb("Sent" + action.Value.ToString(CultureInfo.InvariantCulture)),
                        _ => null,
                    };
                    if (ChannelAction(t, _channels[action.Channel], send ? 1 : -1, arg) is { } raised)
                    {
                        Fail(t, raised);
                        return;
                    }

                    break;
                case TaskletActionKind.Schedule:
                    t.Suspended = Suspension.Schedule;
                    t.TempVal = null;
                    Switch(t, _run.Count > 1 ? _run[1] : t);
                    break;
                default:
                    t.Suspended = Suspension.ScheduleRemove;
                    t.TempVal = null;
                    _run.RemoveAt(0);
                    Switch(t, _run.Count > 0 ? _run[0] : null);
                    break;
            }

            if (Current != t)
            {
                return; // suspended; it completes the action when it is switched to again
            }

            // Not switched: the action completes in place, with the tempval as its result.
            var value = TakeValue(t);
            if (value is Bomb bomb)
            {
                Fail(t, bomb.Kind);
                return;
            }

            Log(action.Kind switch
            {
                TaskletActionKind.Send => $"{t.Name} sent {action.Value}",
                TaskletActionKind.SendThrow => $"{t.Name} passed Sent{action.Value}",
                TaskletActionKind.Receive => $"{t.Name} got {value}",
                TaskletActionKind.Schedule => $"{t.Name} scheduled",
                _ => $"{t.Name} removed",
            });
            t.Pc++;
        }
    }

    /// <summary>
    /// The current tasklet's action raised <paramref name="kind"/>: a catching action logs it and the script goes on
    /// (no switch: the tasklet is still current), otherwise the tasklet ends with it.
    /// </summary>
    private void Fail(ModelTasklet t, string kind)
    {
        var action = t.Script[t.Pc];
        if (!action.Catch)
        {
            End(t, kind);
            return;
        }

        Log($"{t.Name} caught {kind} in {action}");
        t.Pc++;
        Continue(t);
    }

    /// <summary>slp_tasklet_end for the current tasklet: normally (null), killed (TaskletExit) or dying with an error.</summary>
    private void End(ModelTasklet t, string? kind)
    {
        if (kind is not null && t.Suspended != Suspension.NotStarted)
        {
            // A bomb that meets a tasklet before its first instruction ends it before its body's try block.
            Log($"{t.Name} died {kind} in {t.Doing}");
        }

        t.Alive = false;
        t.TempVal = null;
        _run.RemoveAt(0);
        var error = kind is not null and not "TaskletExit" ? new Bomb(kind) : null;
        ModelTasklet next;
        if (_run.Count > 0)
        {
            next = _run[0];
        }
        else
        {
            next = _main;
            if (_main.BlockedIn is not null && error is null)
            {
                error = new Bomb("Deadlock"); // "the main tasklet is receiving/sending without a sender/receiver available."
            }
        }

        if (error is not null)
        {
            next = _main;
            _main.TempVal = error; // replaces whatever main held
        }

        Switch(t, next);
    }

    private StateView View()
    {
        var runnable = _run.Select(t => t.Id).ToList();
        var channels = _channels.Select(c => new ChannelView(
                c.Id, c.Balance, [.. c.Queue.Select(t => t.Id)], c.Preference, c.ScheduleAll, c.Closing, c.Closing && c.Balance == 0))
            .ToList();
        var tasklets = _tasklets.Where(t => _spawned[t.Id - 1])
            .Select(t =>
            {
                var blocked = t.BlockedIn is not null;
                var scheduled = blocked || _run.Contains(t);
                return new TaskletView(t.Id, t.Alive, blocked, scheduled, t.Alive && !scheduled);
            })
            .ToList();
        return new StateView(runnable, _run.Count, channels, tasklets);
    }
}
