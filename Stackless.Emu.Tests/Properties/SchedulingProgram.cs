using System.Globalization;
using System.Text;

namespace Stackless.Emu.Tests.Properties;

/// <summary>What a tasklet of a <see cref="SchedulingProgram"/> does next, from its own body.</summary>
internal enum TaskletActionKind
{
    /// <summary><c>await channel.SendAsync(value)</c>.</summary>
    Send,

    /// <summary><c>await channel.ReceiveAsync()</c>.</summary>
    Receive,

    /// <summary><c>await Scheduler.ScheduleAsync()</c>.</summary>
    Schedule,

    /// <summary><c>await Scheduler.ScheduleRemoveAsync()</c>.</summary>
    ScheduleRemove,

    /// <summary><c>await channel.SendThrowAsync(new SentException(value))</c>: the receiver raises it.</summary>
    SendThrow,
}

/// <summary>
/// One action of a tasklet's script. <see cref="Value"/> is the unique value a send carries (or names the exception a
/// send_throw carries). With <see cref="Catch"/> an exception raised by the action is caught (and logged), and the
/// script goes on with its next action, as a tasklet that ignores a kill does.
/// </summary>
internal sealed record TaskletAction(TaskletActionKind Kind, int Channel, int Value, bool Catch = false)
{
    public override string ToString() => (Catch ? "try " : "") + Kind switch
    {
        TaskletActionKind.Send => $"send(c{Channel}, {Value})",
        TaskletActionKind.SendThrow => $"send_throw(c{Channel}, Sent{Value})",
        TaskletActionKind.Receive => $"receive(c{Channel})",
        TaskletActionKind.Schedule => "schedule()",
        _ => "schedule_remove()",
    };
}

/// <summary>What the main tasklet does in one step of a <see cref="SchedulingProgram"/>.</summary>
internal enum MainStepKind
{
    /// <summary>Setup of tasklet <c>T</c> (bound to its script): <c>tasklet(f)()</c>.</summary>
    Spawn,

    /// <summary><c>Scheduler.Run()</c>: main leaves the runnables until they are exhausted.</summary>
    Run,

    /// <summary><c>Scheduler.Schedule()</c> on main.</summary>
    Schedule,

    /// <summary>Main sends <c>Value</c> on channel <c>C</c> (it blocks until served; Stackless's deadlock rules apply).</summary>
    Send,

    /// <summary>Main receives on channel <c>C</c>.</summary>
    Receive,

    /// <summary><c>t.Insert()</c>.</summary>
    Insert,

    /// <summary><c>t.Remove()</c>.</summary>
    Remove,

    /// <summary><c>t.Run()</c>: switch to t, main stays runnable.</summary>
    RunTasklet,

    /// <summary><c>t.Switch()</c>: switch to t, main is paused until the runnables are exhausted.</summary>
    SwitchTasklet,

    /// <summary><c>t.Kill(pending)</c>.</summary>
    Kill,

    /// <summary><c>t.Throw(new ProbeException(step), pending)</c>.</summary>
    Throw,

    /// <summary><c>c.Close()</c>.</summary>
    Close,

    /// <summary><c>c.Open()</c>.</summary>
    Open,

    /// <summary><c>c.Preference = Arg</c> (-1, 0 or 1).</summary>
    Preference,

    /// <summary><c>c.ScheduleAll = Arg != 0</c>.</summary>
    ScheduleAll,

    /// <summary><c>t.BlockTrap = Arg != 0</c>.</summary>
    BlockTrap,
}

/// <summary>One step of main. Only the fields its kind uses are meaningful.</summary>
internal sealed record MainStep(MainStepKind Kind, int Tasklet, int Channel, int Arg, bool Pending)
{
    /// <summary>Whether <see cref="Tasklet"/> is meaningful for this kind of step.</summary>
    public bool NamesTasklet => Kind is MainStepKind.Spawn or MainStepKind.Insert or MainStepKind.Remove or MainStepKind.RunTasklet
        or MainStepKind.SwitchTasklet or MainStepKind.Kill or MainStepKind.Throw or MainStepKind.BlockTrap;

    /// <summary>Whether <see cref="Channel"/> is meaningful for this kind of step.</summary>
    public bool NamesChannel => Kind is MainStepKind.Send or MainStepKind.Receive or MainStepKind.Close or MainStepKind.Open
        or MainStepKind.Preference or MainStepKind.ScheduleAll;

    /// <summary>The value main sends in a <see cref="MainStepKind.Send"/> step (unique in the program).</summary>
    public int Value => 1000 + Arg;

    public override string ToString() => Kind switch
    {
        MainStepKind.Spawn => $"spawn t{Tasklet}",
        MainStepKind.Run => "run()",
        MainStepKind.Schedule => "schedule()",
        MainStepKind.Send => $"send(c{Channel}, {Value})",
        MainStepKind.Receive => $"receive(c{Channel})",
        MainStepKind.Insert => $"t{Tasklet}.insert()",
        MainStepKind.Remove => $"t{Tasklet}.remove()",
        MainStepKind.RunTasklet => $"t{Tasklet}.run()",
        MainStepKind.SwitchTasklet => $"t{Tasklet}.switch()",
        MainStepKind.Kill => $"t{Tasklet}.kill(pending={(Pending ? "True" : "False")})",
        MainStepKind.Throw => $"t{Tasklet}.throw(Probe, pending={(Pending ? "True" : "False")})",
        MainStepKind.Close => $"c{Channel}.close()",
        MainStepKind.Open => $"c{Channel}.open()",
        MainStepKind.Preference => $"c{Channel}.preference = {Arg}",
        MainStepKind.ScheduleAll => $"c{Channel}.schedule_all = {Arg}",
        _ => $"t{Tasklet}.block_trap = {(Arg != 0 ? "True" : "False")}",
    };
}

/// <summary>
/// A random program of tasklet and channel operations: the tasklets' scripts (each tasklet runs its actions in order,
/// catching nothing) and main's steps. Tasklets are numbered from 1 (0 is main), channels from 0. Steps naming a tasklet
/// that was not spawned yet are skipped by every runner, so a shrunk program stays meaningful.
/// </summary>
internal sealed record SchedulingProgram(IReadOnlyList<IReadOnlyList<TaskletAction>> Scripts, int Channels, IReadOnlyList<MainStep> Steps)
{
    /// <summary>The program as Python-like source, for counterexamples.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"channels c0..c{Channels - 1}\n");
        for (var i = 0; i < Scripts.Count; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"t{i + 1}: {(Scripts[i].Count == 0 ? "pass" : string.Join("; ", Scripts[i]))}\n");
        }

        for (var i = 0; i < Steps.Count; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"main {i}: {Steps[i]}\n");
        }

        return text.ToString();
    }
}

/// <summary>The exception a <see cref="MainStepKind.Throw"/> step throws; it names the step so each one can be traced.</summary>
internal sealed class ProbeException : Exception
{
    public ProbeException()
    {
    }

    public ProbeException(string message) : base(message)
    {
    }

    public ProbeException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public ProbeException(int step) : base($"probe of step {step}") => Step = step;

    /// <summary>The main step that threw it.</summary>
    public int Step { get; }
}

/// <summary>The exception a <see cref="TaskletActionKind.SendThrow"/> action sends; it names the action by its value.</summary>
internal sealed class SentException : Exception
{
    public SentException()
    {
    }

    public SentException(string message) : base(message)
    {
    }

    public SentException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public SentException(int value) : base($"sent by the action of value {value}") => Value = value;

    /// <summary>The value of the send_throw action that sent it.</summary>
    public int Value { get; }
}
