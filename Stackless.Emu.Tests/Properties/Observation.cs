using System.Globalization;
using System.Text;

namespace Stackless.Emu.Tests.Properties;

/// <summary>A tasklet's flags as <c>alive/blocked/scheduled/paused</c> report them.</summary>
internal sealed record TaskletView(int Id, bool Alive, bool Blocked, bool Scheduled, bool Paused)
{
    public override string ToString() =>
        $"t{Id}({(Alive ? "alive" : "dead")}{(Blocked ? " blocked" : "")}{(Scheduled ? " scheduled" : "")}{(Paused ? " paused" : "")})";
}

/// <summary>A channel's state: balance, its waiters in order (tasklet ids), flags.</summary>
internal sealed record ChannelView(int Id, int Balance, IReadOnlyList<int> Queue, int Preference, bool ScheduleAll, bool Closing, bool Closed)
{
    public override string ToString() =>
        $"c{Id}(balance {Balance.ToString(CultureInfo.InvariantCulture)}, queue [{string.Join(" ", Queue.Select(Name))}], " +
        $"preference {Preference.ToString(CultureInfo.InvariantCulture)}{(ScheduleAll ? ", schedule_all" : "")}" +
        $"{(Closing ? ", closing" : "")}{(Closed ? ", closed" : "")})";

    public static string Name(int tasklet) => tasklet == 0 ? "main" : "t" + tasklet.ToString(CultureInfo.InvariantCulture);
}

/// <summary>The state after a main step: the runnable chain from the current tasklet (main), runcount, channels, tasklets.</summary>
internal sealed record StateView(IReadOnlyList<int> Runnable, int RunCount, IReadOnlyList<ChannelView> Channels, IReadOnlyList<TaskletView> Tasklets)
{
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append("runnable [").Append(string.Join(" ", Runnable.Select(ChannelView.Name)))
            .Append(CultureInfo.InvariantCulture, $"] runcount {RunCount}; ")
            .Append(string.Join("; ", Channels)).Append("; ")
            .Append(string.Join(" ", Tasklets));
        return text.ToString();
    }

    /// <summary>
    /// The invariants that hold whatever the order rules: |balance| equals the channel's queue length, runcount equals the
    /// runnable chain's length, each tasklet is in at most one chain, and its flags agree with where it is.
    /// </summary>
    public IEnumerable<string> Violations()
    {
        foreach (var c in Channels)
        {
            if (Math.Abs(c.Balance) != c.Queue.Count)
            {
                yield return $"c{c.Id}: balance {c.Balance} but {c.Queue.Count} waiting";
            }

            if (c.Closed != (c.Closing && c.Balance == 0))
            {
                yield return $"c{c.Id}: closed is {c.Closed} with closing {c.Closing} and balance {c.Balance}";
            }
        }

        if (RunCount != Runnable.Count)
        {
            yield return $"runcount {RunCount} but the runnable chain holds {Runnable.Count}";
        }

        var places = Runnable.Select(t => (Tasklet: t, Where: "runnable"))
            .Concat(Channels.SelectMany(c => c.Queue.Select(t => (Tasklet: t, Where: $"c{c.Id}"))))
            .GroupBy(p => p.Tasklet)
            .ToDictionary(g => g.Key, g => g.Select(p => p.Where).ToList());
        foreach (var (tasklet, where) in places.Where(p => p.Value.Count > 1))
        {
            yield return $"{ChannelView.Name(tasklet)} is in several chains: {string.Join(", ", where)}";
        }

        foreach (var t in Tasklets)
        {
            var where = places.TryGetValue(t.Id, out var list) ? list[0] : null;
            var inChannel = where is not null && where != "runnable";
            var runnable = where == "runnable";
            if (t.Blocked != inChannel)
            {
                yield return $"{t}: blocked is {t.Blocked} but it is {(inChannel ? "in " + where : "in no channel")}";
            }

            if (t.Scheduled != (runnable || inChannel))
            {
                yield return $"{t}: scheduled is {t.Scheduled} but it is {where ?? "in no chain"}";
            }

            if (t.Paused != (t.Alive && where is null))
            {
                yield return $"{t}: paused is {t.Paused} (alive {t.Alive}, {where ?? "in no chain"})";
            }

            if (!t.Alive && where is not null)
            {
                yield return $"{t}: dead but {where}";
            }
        }
    }
}

/// <summary>What one run of a program produced: the events in order and the state after each main step.</summary>
internal sealed class Observation
{
    public List<string> Events { get; } = [];

    public List<StateView> States { get; } = [];

    /// <summary>
    /// Set by the model when the run took a path where the library states a difference from Stackless
    /// (<see cref="KnownDifferences"/>); the model then followed the library, unless run with <c>exactStackless</c>.
    /// </summary>
    public string? KnownDifference { get; set; }

    /// <summary>The first difference from <paramref name="expected"/>, described, or null.</summary>
    public string? DifferenceFrom(Observation expected)
    {
        for (var i = 0; i < Math.Max(Events.Count, expected.Events.Count); i++)
        {
            var mine = i < Events.Count ? Events[i] : "<nothing>";
            var theirs = i < expected.Events.Count ? expected.Events[i] : "<nothing>";
            if (mine != theirs)
            {
                return $"event {i}: expected \"{theirs}\", got \"{mine}\"\n" +
                       $"expected events: {string.Join(" | ", expected.Events)}\nactual events:   {string.Join(" | ", Events)}";
            }
        }

        for (var i = 0; i < Math.Max(States.Count, expected.States.Count); i++)
        {
            var mine = i < States.Count ? States[i].ToString() : "<nothing>";
            var theirs = i < expected.States.Count ? expected.States[i].ToString() : "<nothing>";
            if (mine != theirs)
            {
                return $"state after main step {i}:\nexpected {theirs}\nactual   {mine}";
            }
        }

        return null;
    }
}

/// <summary>
/// Paths where the library differs from Stackless on purpose, each stated in compat-matrix.md with its reason. The model
/// follows the library there unless run with <c>exactStackless</c>, and names the path a run takes; the regression tests
/// in <see cref="KnownDifferenceTests"/> pin each one.
/// </summary>
internal static class KnownDifferences
{
    /// <summary>
    /// Issue 14, point 4: a tasklet blocks while main is blocked sending and nothing can run; Stackless raises the
    /// deadlock in that tasklet and drops the value main was sending (schedule_task_block, TASKLET_CLAIMVAL(wakeup,
    /// &amp;tmpval)), so the next receiver gets None. The library keeps main's value: it never drops a sent value.
    /// </summary>
    public const string DeadlockDropsMainsValue = "issue 14 point 4: a deadlock in a tasklet keeps (Stackless: drops) the value main was sending";
}
