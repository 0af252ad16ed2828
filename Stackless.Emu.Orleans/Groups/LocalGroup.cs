using Microsoft.Extensions.Logging;

namespace Stackless.Emu.Orleans;

/// <summary>
/// The part of a tasklet group that lives on its scheduler thread: the member tasklets, their pending distributed
/// operations, and freezing them into a <see cref="GroupSnapshot"/>. Every member runs on <see cref="Thread"/>, and
/// every method runs there (tasklet code, or an action posted by the group grain), so nothing here needs a lock.
/// </summary>
internal sealed partial class LocalGroup
{
    /// <summary>How many finished operations are remembered to recognise a duplicate delivery.</summary>
    private const int FinishedMemory = 256;

    private readonly List<Tasklet> _members = [];
    private readonly Dictionary<OperationKey, PendingOperation> _operations = [];
    private readonly Dictionary<OperationKey, ChannelReply> _early = [];
    private readonly HashSet<OperationKey> _cancelledBeforeOpen = [];
    private readonly Dictionary<OperationKey, bool> _finished = [];
    private readonly Queue<OperationKey> _finishedOrder = new();
    private Channel<bool> _gate;

    public LocalGroup(TaskletNode node, string name, SchedulerThread thread)
    {
        Node = node;
        Name = name;
        Thread = thread;
        _gate = new Channel<bool> { Name = $"group '{name}' freeze gate" };
    }

    /// <summary>The node.</summary>
    public TaskletNode Node { get; }

    /// <summary>The group's name (its grain key).</summary>
    public string Name { get; }

    /// <summary>The scheduler thread running the members.</summary>
    public SchedulerThread Thread { get; }

    /// <summary>While true, tasklets about to start a distributed operation wait at the gate (restorably) instead.</summary>
    public bool Freezing { get; private set; }

    /// <summary>The snapshot the group was frozen into for a migration; the group has no tasklets here any more.</summary>
    public GroupSnapshot? Frozen { get; private set; }

    /// <summary>The gate tasklets wait at while the group freezes.</summary>
    public Channel<bool> Gate => _gate;

    /// <summary>The alive members.</summary>
    public List<Tasklet> AliveMembers()
    {
        _members.RemoveAll(static t => !t.Alive);
        return [.. _members];
    }

    /// <summary>The group of the calling tasklet, which must be a group tasklet on a node's scheduler thread.</summary>
    /// <exception cref="InvalidOperationException">The caller is not a tasklet of a group.</exception>
    public static LocalGroup Current(out TaskletIdentity identity)
    {
        var tasklet = Tasklet.Current;
        identity = TaskletIdentity.Of(tasklet)
            ?? throw new InvalidOperationException($"{tasklet} is not a tasklet of a group: distributed channel operations run in tasklets spawned by TaskletCluster.SpawnAsync or TaskletGroup.Spawn.");
        var node = TaskletNode.Current
            ?? throw new InvalidOperationException("Distributed channel operations run on a scheduler thread of a silo with AddStacklessTasklets.");
        return node.Find(identity.Group)
            ?? throw new InvalidOperationException($"The group '{identity.Group}' of {tasklet} is not on this node.");
    }

    /// <summary>Makes <paramref name="tasklet"/> a member with a new identity (unless it has one) and returns it.</summary>
    public Tasklet Adopt(Tasklet tasklet, IdentityRecord? identity = null)
    {
        var id = identity ?? (TaskletIdentity.Of(tasklet) is { } known && known.Group == Name
            ? new IdentityRecord(known.Id, known.NextSequence)
            : new IdentityRecord(Guid.NewGuid().ToString("N"), 0));
        tasklet.Items[TaskletIdentity.Key] = new TaskletIdentity { Id = id.Id, Group = Name, NextSequence = id.NextSequence };
        _members.Add(tasklet);
        return tasklet;
    }

    /// <summary>Describes the group for diagnostics.</summary>
    public GroupDescription Describe(string silo, DateTime? lastCheckpoint)
    {
        var waiting = _operations.Values.ToDictionary(o => o.Key.Tasklet, o => o, StringComparer.Ordinal);
        var tasklets = AliveMembers().ConvertAll(t =>
        {
            var identity = TaskletIdentity.Of(t);
            var line = $"{t} id {identity?.Id}";
            return identity is not null && waiting.TryGetValue(identity.Id, out var op) ? $"{line}: waits for {op}" : line;
        });
        return new GroupDescription
        {
            Name = Name,
            Silo = silo,
            ThreadId = Thread.ThreadId,
            Tasklets = tasklets,
            PendingOperations = [.. _operations.Values.Select(o => o.ToString())],
            LastCheckpoint = lastCheckpoint,
        };
    }

    /// <summary>Kills every member (their <c>finally</c> blocks run when they are next scheduled).</summary>
    public int KillAll()
    {
        var members = AliveMembers();
        foreach (var tasklet in members)
        {
            try
            {
                tasklet.Kill(pending: true);
            }
#pragma warning disable CA1031 // Best effort: a tasklet that cannot be killed now dies with its thread.
            catch (InvalidOperationException ex)
#pragma warning restore CA1031
            {
                GroupLog.KillFailed(Node.Logger, Name, tasklet.ToString(), ex);
            }
        }

        _members.Clear();
        return members.Count;
    }
}

/// <summary>The group's log messages.</summary>
internal static partial class GroupLog
{
    [LoggerMessage(EventId = 10, Level = LogLevel.Warning, Message = "Group {Group}: could not kill {Tasklet}.")]
    public static partial void KillFailed(ILogger logger, string group, string tasklet, Exception exception);

    [LoggerMessage(EventId = 11, Level = LogLevel.Warning, Message = "Group {Group}: the withdrawal of {Operation} failed; it stays waiting.")]
    public static partial void WithdrawFailed(ILogger logger, string group, string operation, Exception exception);

    [LoggerMessage(EventId = 12, Level = LogLevel.Information, Message = "Group {Group}: {Count} tasklet(s) restored from a {Source}.")]
    public static partial void Restored(ILogger logger, string group, int count, string source);

    [LoggerMessage(EventId = 14, Level = LogLevel.Information, Message = "Group {Group}: deactivated; {Count} tasklet(s) passivated into a fresh checkpoint.")]
    public static partial void Passivated(ILogger logger, string group, int count);

    [LoggerMessage(EventId = 15, Level = LogLevel.Warning, Message = "Group {Group}: passivation failed; its last checkpoint stands.")]
    public static partial void PassivationFailed(ILogger logger, string group, Exception exception);

    [LoggerMessage(EventId = 13, Level = LogLevel.Warning, Message = "Group {Group}: polling {Operation} failed.")]
    public static partial void PollFailed(ILogger logger, string group, string operation, Exception exception);
}
