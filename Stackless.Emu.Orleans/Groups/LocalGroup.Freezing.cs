namespace Stackless.Emu.Orleans;

internal sealed partial class LocalGroup
{
    // Freezing: the group first closes its gate (a tasklet about to call a channel waits there, restorably), then waits
    // until every member is restorable (calls in flight have returned), then pickles the members with the ports of
    // their waiting operations and the gate in one step on the scheduler thread, so no tasklet runs in between.

    /// <summary>Closes the gate: tasklets about to start a distributed operation wait until <see cref="EndFreeze"/>.</summary>
    public void BeginFreeze() => Freezing = true;

    /// <summary>Opens the gate and lets the tasklets waiting there go on.</summary>
    public void EndFreeze()
    {
        Freezing = false;
        ReleaseGate(_gate);
    }

    /// <summary>
    /// Pickles the group, or returns null when a member is not restorable at this moment (the caller waits and tries
    /// again). With <paramref name="discard"/> the members are dropped without running their <c>finally</c> blocks
    /// (they live on in the snapshot: a migration); otherwise the gate opens again (a checkpoint).
    /// </summary>
    public GroupSnapshot? TrySnapshot(bool discard)
    {
        var members = AliveMembers();
        if (members.Exists(static t => !t.Restorable))
        {
            return null;
        }

        var operations = _operations.Values.ToList();
        var channels = new List<IChannel>(operations.Count + 1);
        foreach (var operation in operations)
        {
            channels.Add((IChannel)operation.Port);
        }

        channels.Add(_gate);
        var snapshot = new GroupSnapshot
        {
            Pickle = new TaskletPickler(Node.Pickle).Dump(members, channels),
            TaskletCount = members.Count,
            Operations = operations.ConvertAll(o => new PendingOperationRecord(o.Key, o.Channel, o.Registered)),
            Identities = members.ConvertAll(t => TaskletIdentity.Of(t) is { } i ? new IdentityRecord(i.Id, i.NextSequence) : new IdentityRecord(Guid.NewGuid().ToString("N"), 0)),
            Early = new Dictionary<OperationKey, ChannelReply>(_early),
            Taken = DateTime.UtcNow,
        };
        foreach (var operation in operations)
        {
            if (operation.Arrived is { } arrived)
            {
                snapshot.Early[operation.Key] = arrived;
            }
        }

        if (!discard)
        {
            EndFreeze();
            return snapshot;
        }

        foreach (var tasklet in members)
        {
            tasklet.Discard();
        }

        foreach (var operation in operations)
        {
            operation.Arrived = null; // a courier still on its way finds nothing: the outcome travels in the snapshot
            operation.Cancellation.Dispose();
        }

        _members.Clear();
        _operations.Clear();
        _early.Clear();
        Frozen = snapshot;
        return snapshot;
    }

    /// <summary>
    /// Loads <paramref name="snapshot"/> into this (new) group on its scheduler thread: members come back where they
    /// were (blocked on their ports, at the gate, or runnable), their operations are reopened, and arrived outcomes
    /// are handed over. Operations restored from a checkpoint are polled at once (<paramref name="pollAtOnce"/>).
    /// </summary>
    public int Load(GroupSnapshot snapshot, bool pollAtOnce)
    {
        var contents = new TaskletPickler(Node.Pickle).Load(snapshot.Pickle);
        for (var i = 0; i < snapshot.TaskletCount; i++)
        {
            Adopt((Tasklet)contents.Roots[i], snapshot.Identities[i]);
        }

        // Tasklets the members reached through local channels came along: they belong to the group too.
        foreach (var tasklet in contents.Tasklets)
        {
            if (!_members.Contains(tasklet))
            {
                Adopt(tasklet);
            }
        }

        for (var i = 0; i < snapshot.Operations.Count; i++)
        {
            var record = snapshot.Operations[i];
            var operation = new PendingOperation(record.Operation, (IPort)contents.Roots[snapshot.TaskletCount + i], record.Channel)
            {
                Registered = record.Registered,
                LastPolled = pollAtOnce ? DateTime.MinValue : DateTime.UtcNow,
            };
            _operations[record.Operation] = operation;
        }

        foreach (var (key, reply) in snapshot.Early)
        {
            if (_operations.TryGetValue(key, out var operation))
            {
                operation.Settled = true;
                operation.Arrived = reply;
                if (operation.Port.Balance < 0)
                {
                    Hand(operation);
                }
            }
            else
            {
                _early[key] = reply;
            }
        }

        contents.ScheduleRunnable();
        _gate = (Channel<bool>)contents.Roots[snapshot.TaskletCount + snapshot.Operations.Count];
        EndFreeze();
        return _members.Count;
    }

    /// <summary>Loads a pickled new tasklet (a spawn) and schedules it.</summary>
    public Tasklet LoadSpawn(byte[] pickle)
    {
        var contents = new TaskletPickler(Node.Pickle).Load(pickle);
        var tasklet = (Tasklet)contents.Roots[0];
        Adopt(tasklet, new IdentityRecord(Guid.NewGuid().ToString("N"), 0));
        if (tasklet.Alive)
        {
            tasklet.Insert();
        }
        else
        {
            tasklet.Setup();
        }

        return tasklet;
    }

    /// <summary>Spawns a member from inside the group (see <see cref="TaskletGroup.Spawn"/>).</summary>
    public Tasklet SpawnMember(Func<TaskletFrame> body) => Adopt(Tasklet.CreateFrame(body).Setup());

    private static void ReleaseGate(Channel<bool> gate)
    {
        if (gate.Balance < 0)
        {
            Tasklet.Spawn(async () =>
            {
                while (gate.Balance < 0)
                {
                    await gate.SendAsync(true);
                }
            });
        }
    }
}
