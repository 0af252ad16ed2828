using System.Globalization;

namespace Stackless.Emu;

/// <summary>
/// The shape of a pickle's tasklets and channels as read, before anything is restored, and the check that it is one a
/// scheduler can be in: each tasklet waits in at most one channel and at most once; a blocked tasklet waits exactly in
/// the channel it names, in direction 1 or -1, and all the waiters of a channel wait the same way; a runnable or blocked
/// tasklet is alive, a started one has frames, a new one at most its root frame; the runnable order has no duplicates.
/// </summary>
internal sealed class PickleGraph
{
    /// <summary>The channels, by id.</summary>
    public List<ChannelShape> Channels { get; } = [];

    /// <summary>The tasklets, by id.</summary>
    public List<TaskletShape> Tasklets { get; } = [];

    /// <summary>The offset of each entry of the object table.</summary>
    public List<int> Objects { get; } = [];

    /// <summary>The roots: a tasklet or a channel id.</summary>
    public List<(bool IsTasklet, int Id)> Roots { get; } = [];

    /// <summary>Refuses a graph no scheduler could be in.</summary>
    /// <exception cref="UnpicklingException">The first inconsistency found.</exception>
    public void Check()
    {
        var waitsIn = new int[Tasklets.Count];
        Array.Fill(waitsIn, -1);
        for (var c = 0; c < Channels.Count; c++)
        {
            var direction = 0;
            foreach (var id in Channels[c].Queue)
            {
                if (id < 0 || id >= Tasklets.Count)
                {
                    throw Error($"Channel #{c} queues tasklet #{id}, which the pickle does not have.");
                }

                if (waitsIn[id] >= 0)
                {
                    throw Error(waitsIn[id] == c
                        ? $"Tasklet #{id} waits twice in the queue of channel #{c}."
                        : $"Tasklet #{id} waits in the queues of both channel #{waitsIn[id]} and channel #{c}.");
                }

                waitsIn[id] = c;
                var tasklet = Tasklets[id];
                if (tasklet.State != TaskletPlace.Channel || tasklet.Channel != c)
                {
                    throw Error($"Tasklet #{id} is in the queue of channel #{c} but is not blocked on it.");
                }

                if (direction != 0 && tasklet.Direction != direction)
                {
                    throw Error($"The waiters of channel #{c} do not all wait the same way (senders and receivers mixed).");
                }

                direction = tasklet.Direction ?? 0;
            }
        }

        var orders = new HashSet<int>();
        for (var id = 0; id < Tasklets.Count; id++)
        {
            CheckTasklet(id, Tasklets[id], waitsIn[id], orders);
        }
    }

    private void CheckTasklet(int id, TaskletShape tasklet, int waitsIn, HashSet<int> orders)
    {
        if (tasklet.State == TaskletPlace.Channel)
        {
            if (tasklet.Direction is not (1 or -1))
            {
                throw Error($"Blocked tasklet #{id} waits in direction {Text(tasklet.Direction)}; a waiter sends (1) or receives (-1).");
            }

            if (tasklet.Channel is not { } channel || channel < 0 || channel >= Channels.Count || waitsIn != channel)
            {
                throw Error($"Blocked tasklet #{id} names channel {Text(tasklet.Channel)} but is not in that channel's queue.");
            }

            if (tasklet.Direction == -1 && tasklet.Slot is not null)
            {
                throw Error($"Blocked receiver #{id} holds a value to send.");
            }
        }
        else if (tasklet.Channel is not null || tasklet.Direction is not null)
        {
            throw Error($"Tasklet #{id} is {(tasklet.State == TaskletPlace.Runnable ? "runnable" : "paused")} but names a channel or a direction.");
        }

        if (tasklet.Order is { } order)
        {
            if (tasklet.State != TaskletPlace.Runnable || order < 0 || !orders.Add(order))
            {
                throw Error($"Tasklet #{id} has run order {order}, but it is not runnable or another tasklet has that order.");
            }
        }

        if (tasklet.State != TaskletPlace.None && !tasklet.Alive)
        {
            throw Error($"Tasklet #{id} is {(tasklet.State == TaskletPlace.Runnable ? "runnable" : "blocked")} but not alive.");
        }

        if (tasklet.Started)
        {
            if (!tasklet.Alive || tasklet.Frames.Count == 0 || tasklet.Body is not null)
            {
                throw Error($"Started tasklet #{id} must be alive and have frames (and no body delegate).");
            }
        }
        else
        {
            if (tasklet.State == TaskletPlace.Channel || tasklet.Frames.Count > 1 || tasklet.Slot is not null || (tasklet.Frames.Count == 1 && tasklet.Body is not null))
            {
                throw Error($"Tasklet #{id} has not started, so it cannot be blocked, hold a value, or have more than its root frame (or both a frame and a body).");
            }
        }
    }

    private static string Text(int? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "(none)";

    private static UnpicklingException Error(string message) => new($"The pickle's tasklets and channels are inconsistent: {message}");

    /// <summary>A channel as read.</summary>
    internal sealed class ChannelShape
    {
        /// <summary>Where its entry starts.</summary>
        public int Offset { get; set; }

        /// <summary>Its type (an index into the type table).</summary>
        public int Type { get; set; }

        /// <summary>Its name.</summary>
        public string? Name { get; set; }

        /// <summary>Its preference.</summary>
        public int Preference { get; set; }

        /// <summary>Its schedule_all flag.</summary>
        public bool ScheduleAll { get; set; }

        /// <summary>Whether it was closing.</summary>
        public bool Closing { get; set; }

        /// <summary>The waiting tasklets' ids, first first.</summary>
        public List<int> Queue { get; set; } = [];
    }

    /// <summary>A tasklet as read (values are offsets until they are read).</summary>
    internal sealed class TaskletShape
    {
        /// <summary>Where its entry starts.</summary>
        public int Offset { get; set; }

        /// <summary>Its name.</summary>
        public string? Name { get; set; }

        /// <summary>Where it was.</summary>
        public TaskletPlace State { get; set; }

        /// <summary>Its alive flag.</summary>
        public bool Alive { get; set; }

        /// <summary>Its started flag.</summary>
        public bool Started { get; set; }

        /// <summary>Its position in the runnable queue.</summary>
        public int? Order { get; set; }

        /// <summary>Its atomic flag.</summary>
        public bool Atomic { get; set; }

        /// <summary>Its block_trap flag.</summary>
        public bool BlockTrap { get; set; }

        /// <summary>Its ignore_nesting flag.</summary>
        public bool IgnoreNesting { get; set; }

        /// <summary>The channel it waits in.</summary>
        public int? Channel { get; set; }

        /// <summary>Which way it waits.</summary>
        public int? Direction { get; set; }

        /// <summary>Where its tempval starts.</summary>
        public int TempVal { get; set; }

        /// <summary>Where its items start, if any.</summary>
        public int? Items { get; set; }

        /// <summary>Where its body delegate starts, if any.</summary>
        public int? Body { get; set; }

        /// <summary>Where its slot value starts, if any.</summary>
        public int? Slot { get; set; }

        /// <summary>Where each of its frames starts, outermost first.</summary>
        public List<int> Frames { get; set; } = [];

        /// <summary>The tempval, once read.</summary>
        public object? TempValValue { get; set; }

        /// <summary>The items, once read.</summary>
        public List<KeyValuePair<string, object?>>? ItemsValue { get; set; }

        /// <summary>The body delegate, once read.</summary>
        public Func<Task>? BodyValue { get; set; }
    }
}
