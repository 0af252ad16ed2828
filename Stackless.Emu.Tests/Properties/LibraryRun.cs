using System.Globalization;
using System.Runtime.ExceptionServices;
using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Properties;

/// <summary>
/// Runs a <see cref="SchedulingProgram"/> on the library, on a fresh thread (so a fresh scheduler): soft tasklets run
/// their scripts, main runs the steps with the synchronous forms. Reports the same <see cref="Observation"/> as
/// <see cref="StacklessModel"/>, and checks the state invariants after every main step.
/// </summary>
internal sealed class LibraryRun
{
    private readonly SchedulingProgram _program;
    private readonly Observation _observation = new();
    private readonly Tasklet?[] _tasklets;
    private readonly Dictionary<Tasklet, int> _ids = [];
    private readonly Channel[] _channels;

    private LibraryRun(SchedulingProgram program)
    {
        _program = program;
        _tasklets = new Tasklet?[program.Scripts.Count];
        _ids[Tasklet.Main] = 0;
        _channels = [.. Enumerable.Range(0, program.Channels).Select(_ => new Channel())];
    }

    /// <summary>Runs <paramref name="program"/> (then kills what is left, as the model does) and reports what happened.</summary>
    /// <exception cref="Xunit.Sdk.XunitException">A state invariant failed after some step.</exception>
    public static Observation Run(SchedulingProgram program)
    {
        Observation? observation = null;
        Isolated.Run(() =>
        {
            var run = new LibraryRun(program);
            var steps = program.Steps;
            for (var k = 0; k < steps.Count; k++)
            {
                run.MainStep(k, steps[k]);
                run.Record(k);
            }

            var step = steps.Count;
            while (run._tasklets.FirstOrDefault(t => t is { Alive: true }) is { } alive)
            {
                run.MainStep(step++, new MainStep(MainStepKind.Kill, run._ids[alive], 0, 0, false));
            }

            run.Record(step);
            observation = run._observation;
        });
        return observation!;
    }

    private void Log(string text) => _observation.Events.Add(text);

    /// <summary>Records the state after step <paramref name="k"/> and checks its invariants.</summary>
    private void Record(int k)
    {
        var state = View();
        _observation.States.Add(state);
        var violations = state.Violations().ToList();
        if (violations.Count > 0)
        {
            throw new Xunit.Sdk.XunitException(
                $"after main step {k}: {string.Join("; ", violations)}\nstate: {state}\nevents: {string.Join(" | ", _observation.Events)}");
        }
    }

    /// <summary>The kind of an exception, named as the model names it.</summary>
    public static string KindOf(Exception e) => e switch
    {
        TaskletExit => "TaskletExit",
        ProbeException probe => "Probe" + probe.Step.ToString(CultureInfo.InvariantCulture),
        SentException sent => "Sent" + sent.Value.ToString(CultureInfo.InvariantCulture),
        DeadlockException => "Deadlock",
        BlockTrapException => "BlockTrap",
        ChannelClosedException => "Closed",
        AggregateException aggregate => $"Aggregate({string.Join(", ", aggregate.InnerExceptions.Select(KindOf))})",
        InvalidOperationException => "Invalid",
        _ => e.GetType().Name,
    };

    private async Task Body(int id, IReadOnlyList<TaskletAction> script)
    {
        var name = ChannelView.Name(id);
        var doing = "start";
        try
        {
            Log($"{name} start");
            foreach (var action in script)
            {
                doing = action.ToString();
                if (!action.Catch)
                {
                    await Perform(name, action);
                    continue;
                }

                try
                {
                    await Perform(name, action);
                }
                catch (Exception e)
                {
                    Log($"{name} caught {KindOf(e)} in {action}");
                }
            }

            Log($"{name} end");
        }
        catch (Exception e)
        {
            Log($"{name} died {KindOf(e)} in {doing}");
            throw;
        }
    }

    private async Task Perform(string name, TaskletAction action)
    {
        var channel = action.Kind is TaskletActionKind.Schedule or TaskletActionKind.ScheduleRemove ? null : _channels[action.Channel];
        switch (action.Kind)
        {
            case TaskletActionKind.Send:
                await channel!.SendAsync(action.Value);
                Log($"{name} sent {action.Value}");
                break;
            case TaskletActionKind.SendThrow:
                await channel!.SendThrowAsync(new SentException(action.Value));
                Log($"{name} passed Sent{action.Value}");
                break;
            case TaskletActionKind.Receive:
                var value = await channel!.ReceiveAsync();
                Log($"{name} got {value}");
                break;
            case TaskletActionKind.Schedule:
                await Scheduler.ScheduleAsync();
                Log($"{name} scheduled");
                break;
            default:
                await Scheduler.ScheduleRemoveAsync();
                Log($"{name} removed");
                break;
        }
    }

    private void MainStep(int k, MainStep step)
    {
        var t = step.NamesTasklet ? _tasklets[step.Tasklet - 1] : null;
        var c = step.NamesChannel ? _channels[step.Channel] : null;
        if (step.NamesTasklet && t is null && step.Kind != MainStepKind.Spawn)
        {
            return; // steps on a tasklet that does not exist yet are skipped
        }

        var prefix = $"main {k.ToString(CultureInfo.InvariantCulture)}:";
        object? received = null;
        try
        {
            switch (step.Kind)
            {
                case MainStepKind.Spawn:
                    if (t is null)
                    {
                        var id = step.Tasklet;
                        var script = _program.Scripts[id - 1];
                        var spawned = Tasklet.Spawn(() => Body(id, script));
                        _tasklets[id - 1] = spawned;
                        _ids[spawned] = id;
                    }

                    return;
                case MainStepKind.Close:
                    c!.Close();
                    return;
                case MainStepKind.Open:
                    c!.Open();
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
                    t!.Insert();
                    return;
                case MainStepKind.Remove:
                    t!.Remove();
                    return;
                case MainStepKind.Run:
                    Scheduler.Run();
                    break;
                case MainStepKind.Schedule:
                    Scheduler.Schedule();
                    break;
                case MainStepKind.Send:
                    c!.Send(step.Value);
                    break;
                case MainStepKind.Receive:
                    received = c!.Receive();
                    break;
                case MainStepKind.RunTasklet:
                    t!.Run();
                    break;
                case MainStepKind.SwitchTasklet:
                    t!.Switch();
                    break;
                case MainStepKind.Kill:
                    t!.Kill(step.Pending);
                    break;
                case MainStepKind.Throw:
                    t!.Throw(new ProbeException(k), step.Pending);
                    break;
            }
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            Log(step.Kind == MainStepKind.Send ? $"{prefix} raised {KindOf(e)} in send {step.Value}" : $"{prefix} raised {KindOf(e)}");
            return;
        }

        Log(step.Kind switch
        {
            MainStepKind.Receive => $"{prefix} got {received}",
            MainStepKind.Send => $"{prefix} sent {step.Value}",
            _ => $"{prefix} ok",
        });
    }

    private int IdOf(Tasklet t) => _ids.TryGetValue(t, out var id) ? id : -1;

    private StateView View()
    {
        var runnable = new List<int>();
        var start = Tasklet.Current;
        for (var t = start; t is not null && runnable.Count <= _tasklets.Length + 1; t = t.Next)
        {
            runnable.Add(IdOf(t));
            if (t.Next == start)
            {
                break;
            }
        }

        var channels = new List<ChannelView>();
        for (var i = 0; i < _channels.Length; i++)
        {
            var c = _channels[i];
            var queue = new List<int>();
            for (var t = c.Queue; t is not null && queue.Count <= _tasklets.Length + 1; t = t.Next)
            {
                queue.Add(IdOf(t));
            }

            channels.Add(new ChannelView(i, c.Balance, queue, c.Preference, c.ScheduleAll, c.Closing, c.Closed));
        }

        var tasklets = _tasklets.OfType<Tasklet>()
            .Select(t => new TaskletView(_ids[t], t.Alive, t.Blocked, t.Scheduled, t.Paused))
            .ToList();
        return new StateView(runnable, Scheduler.RunCount, channels, tasklets);
    }
}

/// <summary>The invariants over a whole run's events: values and exceptions are neither lost nor duplicated.</summary>
internal static class Ledger
{
    /// <summary>
    /// Every value a completed send carried was received exactly once; every received value was sent by a send that
    /// started (it completed, or its sender died in it after the hand-over); no value is received twice. Every tasklet
    /// that died of an error other than TaskletExit has that error raised in main exactly once, and main raises no
    /// probe that no tasklet died of, except a throw refused at once.
    /// </summary>
    public static IEnumerable<string> Violations(SchedulingProgram program, Observation observation)
    {
        var events = observation.Events;
        var got = events.Select(e => Match(e, " got ")).OfType<string>().Where(v => v.Length > 0).ToList();
        var sent = events.Select(e => Match(e, " sent ")).OfType<string>().ToList();
        var diedSending = events.Where(e => (e.Contains(" died ", StringComparison.Ordinal) || e.Contains(" caught ", StringComparison.Ordinal))
                                            && e.Contains("send(", StringComparison.Ordinal))
            .Select(e => e[(e.LastIndexOf(", ", StringComparison.Ordinal) + 2)..^1])
            .Concat(events.Where(e => e.Contains(" raised ", StringComparison.Ordinal) && e.Contains(" in send ", StringComparison.Ordinal))
                .Select(e => e[(e.LastIndexOf(' ') + 1)..]))
            .ToList();
        foreach (var duplicate in got.GroupBy(v => v).Where(g => g.Count() > 1))
        {
            yield return $"value {duplicate.Key} was received {duplicate.Count()} times";
        }

        foreach (var value in got.Where(v => !sent.Contains(v) && !diedSending.Contains(v)))
        {
            yield return $"value {value} was received but no send of it started";
        }

        // Stackless hands a value over into the receiver's tempval; an exception that reaches the receiver before it
        // resumes (a kill, a throw, an error passed to main) replaces it, and the value is gone. So per channel, the
        // completed sends whose value nobody received are at most the receives that failed.
        bool ReceiveFailedOn(string e, int channel) =>
            ((e.Contains(" died ", StringComparison.Ordinal) || e.Contains(" caught ", StringComparison.Ordinal))
             && e.EndsWith($"receive(c{channel})", StringComparison.Ordinal))
            || (e.StartsWith("main ", StringComparison.Ordinal) && e.Contains(" raised ", StringComparison.Ordinal) && ReceiveStepOn(program, e, channel));
        foreach (var perChannel in sent.Where(v => !got.Contains(v))
                     .GroupBy(v => ChannelOf(program, int.Parse(v, System.Globalization.CultureInfo.InvariantCulture))))
        {
            var failedReceives = events.Count(e => ReceiveFailedOn(e, perChannel.Key));
            if (perChannel.Count() > failedReceives)
            {
                yield return $"the sends of {string.Join(", ", perChannel)} on c{perChannel.Key} completed but nobody received them " +
                             $"({failedReceives} receive(s) on it failed)";
            }
        }

        var errors = events.Where(e => e.Contains(" died ", StringComparison.Ordinal) && !e.Contains(" died TaskletExit ", StringComparison.Ordinal))
            .Select(e => e.Split(' ')[2])
            .ToList();
        var raisedInMain = events.Where(e => e.StartsWith("main ", StringComparison.Ordinal) && e.Contains(" raised ", StringComparison.Ordinal))
            .Select(e => e.Split(' ')[3])
            .ToList();
        foreach (var error in errors.Distinct())
        {
            var died = errors.Count(e => e == error);
            var raised = raisedInMain.Count(e => e == error);
            if (error.StartsWith("Probe", StringComparison.Ordinal) && died != raised)
            {
                yield return $"{error}: {died} tasklet(s) died of it, main raised it {raised} time(s)";
            }
        }

        foreach (var probe in raisedInMain.Where(e => e.StartsWith("Probe", StringComparison.Ordinal)).Distinct())
        {
            if (raisedInMain.Count(e => e == probe) > 1)
            {
                yield return $"main raised {probe} more than once";
            }

            // A tasklet that meets the exception before its first instruction dies before its body can log it.
            var step = int.Parse(probe["Probe".Length..], System.Globalization.CultureInfo.InvariantCulture);
            var target = ChannelView.Name(program.Steps[step].Tasklet);
            var raisedAt = events.FindIndex(e => e.StartsWith("main ", StringComparison.Ordinal) && e.EndsWith(" raised " + probe, StringComparison.Ordinal));
            var started = events.Take(raisedAt).Contains(target + " start");
            if (!errors.Contains(probe) && started)
            {
                yield return $"main raised {probe}, which no tasklet died of";
            }
        }

        if (errors.Count > raisedInMain.Count)
        {
            yield return $"{errors.Count} tasklets died of errors but main raised only {raisedInMain.Count}";
        }
    }

    /// <summary>Whether the main event <paramref name="e"/> ("main k: ...") is about a receive on <paramref name="channel"/>.</summary>
    private static bool ReceiveStepOn(SchedulingProgram program, string e, int channel)
    {
        var k = int.Parse(e.Split(' ')[1].TrimEnd(':'), System.Globalization.CultureInfo.InvariantCulture);
        return k < program.Steps.Count && program.Steps[k] is { Kind: MainStepKind.Receive } step && step.Channel == channel;
    }

    /// <summary>The channel the send of <paramref name="value"/> used (values are unique in a program).</summary>
    private static int ChannelOf(SchedulingProgram program, int value) =>
        program.Steps.Where(s => s.Kind == MainStepKind.Send && s.Value == value).Select(s => s.Channel)
            .Concat(program.Scripts.SelectMany(script => script).Where(a => a.Kind == TaskletActionKind.Send && a.Value == value).Select(a => a.Channel))
            .First();

    private static string? Match(string e, string marker)
    {
        var at = e.IndexOf(marker, StringComparison.Ordinal);
        return at < 0 ? null : e[(at + marker.Length)..].Split(' ')[0];
    }
}
