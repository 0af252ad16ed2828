using System.Globalization;
using Stackless.Emu.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Stackless.Emu.Tests.Edge;

/// <summary>
/// The delivery rule under kills (README, "Kills and delivery"), as in Stackless: a value is sent when the hand-over has
/// happened. A receiver that was handed a value but is killed before it runs loses it (its receive raises
/// <see cref="TaskletExit"/>); a sender killed after the hand-over raises <see cref="TaskletExit"/> although its value was
/// delivered; a sender killed before the hand-over keeps its value, which nobody receives. Nothing else is lost, and no
/// value arrives twice. The stress test kills at random from a thread of its own and accounts for every value.
/// </summary>
[Collection(SequentialCollection.Name)]
public class KillDeliveryRuleTests(ITestOutputHelper output)
{
    private static readonly bool Full = Environment.GetEnvironmentVariable("STACKLESS_FULL_STRESS") == "1";

    /// <summary>What happened to a value at its sender.</summary>
    private enum SenderOutcome
    {
        /// <summary>Never sent (no sender took it).</summary>
        None,

        /// <summary>The send returned: the value was handed over.</summary>
        Returned,

        /// <summary>The send raised <see cref="TaskletExit"/> after the hand-over (the sender no longer held the value).</summary>
        RaisedAfterHandOver,

        /// <summary>The send raised <see cref="TaskletExit"/> before any receiver took the value (the sender still held it).</summary>
        RaisedHoldingValue,
    }

    [Fact]
    public void Random_cross_thread_kills_lose_or_duplicate_nothing_beyond_the_delivery_rule() => Isolated.Run(() =>
    {
        const int Threads = 3;
        var values = Full ? 1_000_000 : 50_000;
        var maxKills = Full ? 150_000 : 5_000;
        var seed = Environment.GetEnvironmentVariable("STACKLESS_STRESS_SEED") is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : 4242;
        var channels = new[] { new Channel<Message> { Name = "prefers receivers" }, new Channel<Message> { Name = "prefers senders", Preference = 1 } };
        var state = new Ledger(values, Threads * channels.Length * 2);
        var workers = Enumerable.Range(0, Threads).Select(i => new SchedulerThread($"kill-delivery {i}")).ToList();
        var role = 0;
        foreach (var worker in workers)
        {
            foreach (var channel in channels)
            {
                var sender = role++;
                var receiver = role++;
                worker.Post(() => Sender(state, sender, channel));
                worker.Post(() => Receiver(state, receiver, channel));
            }
        }

        // The killer: a plain thread that kills a random sender or receiver, waits a random while, and again.
        var killer = new Thread(() =>
        {
            var random = new Random(seed);
            while (state.Kills < maxKills && Volatile.Read(ref state.SendersDone) < values)
            {
                if (Volatile.Read(ref state.Slots[random.Next(state.Slots.Length)]) is { } target)
                {
                    target.Kill(); // another thread's tasklet: killed by its own thread, the killer goes on
                    state.Kills++;
                }

                Thread.SpinWait(random.Next(0, 2_000));
            }
        })
        { IsBackground = true, Name = "killer" };
        killer.Start();

        // Hang guards only (generous): the run is measured in values, not time.
        Assert.True(
            SpinWait.SpinUntil(() => Volatile.Read(ref state.SendersDone) == values, TimeSpan.FromMinutes(10)),
            $"senders finished {state.SendersDone} of {values} values");
        killer.Join();
        Assert.True(
            SpinWait.SpinUntil(() => state.Arrived() == state.HandedOver(), TimeSpan.FromMinutes(5)),
            $"{state.Arrived()} values arrived (received or lost in a killed receiver) of {state.HandedOver()} handed over");

        state.Stopping = true;
        foreach (var worker in workers)
        {
            worker.Join(); // the receivers still waiting are killed, and not replaced
        }

        var broken = new List<string>();
        var counts = new int[4];
        for (var id = 1; id <= values && broken.Count < 20; id++)
        {
            var outcome = (SenderOutcome)state.Sender[id];
            var received = state.Received[id];
            var lost = state.Lost[id];
            counts[(int)outcome]++;
            var ok = outcome switch
            {
                SenderOutcome.Returned or SenderOutcome.RaisedAfterHandOver => received + lost == 1,
                SenderOutcome.RaisedHoldingValue => received == 0 && lost == 0,
                _ => false,
            };
            if (!ok)
            {
                broken.Add($"value {id}: sender {outcome}, received {received} time(s), lost in a killed receiver {lost} time(s)");
            }
        }

        broken.AddRange(state.Failures);
        output.WriteLine(
            $"{values:N0} values over {Threads} threads and {channels.Length} channels, {state.Kills:N0} kills (seed {seed}): " +
            $"send returned {counts[(int)SenderOutcome.Returned]:N0}, raised after the hand-over {counts[(int)SenderOutcome.RaisedAfterHandOver]:N0}, " +
            $"raised holding the value {counts[(int)SenderOutcome.RaisedHoldingValue]:N0}; received {state.Received.Sum():N0}, " +
            $"lost in a receiver killed after the hand-over {state.Lost.Sum():N0}, receivers killed empty-handed {state.ReceiversKilledEmpty:N0}; " +
            $"rule broken for {broken.Count} value(s)");
        Assert.True(broken.Count == 0, string.Join("\n", broken));
        Assert.All(channels, c => Assert.Equal(0, c.Balance));
    });

    private static async Task Sender(Ledger state, int role, Channel<Message> channel)
    {
        Volatile.Write(ref state.Slots[role], Tasklet.Current);
        try
        {
            int id;
            while ((id = Interlocked.Increment(ref state.Next)) <= state.Count)
            {
                var message = new Message(id);
                try
                {
                    await channel.SendAsync(message);
                }
                catch (TaskletExit)
                {
                    // The value still in the sender's own fields: no receiver took it (white-box, the value slot).
                    var held = Tasklet.Current.PeekValue<Message>().Value;
                    if (held is not null && !ReferenceEquals(held, message))
                    {
                        state.Fail($"a sender killed while sending {id} held value {((Message)held).Id}");
                    }

                    state.Record(id, held is null ? SenderOutcome.RaisedAfterHandOver : SenderOutcome.RaisedHoldingValue);
                    throw;
                }

                state.Record(id, SenderOutcome.Returned);
                if (id % 3 == 0)
                {
                    await Scheduler.ScheduleAsync(); // a kill may land here too, outside any send
                }
            }
        }
        catch (TaskletExit) when (!state.Stopping)
        {
            Tasklet.Spawn(() => Sender(state, role, channel));
            throw;
        }
    }

    private static async Task Receiver(Ledger state, int role, Channel<Message> channel)
    {
        Volatile.Write(ref state.Slots[role], Tasklet.Current);
        try
        {
            while (true)
            {
                Message message;
                try
                {
                    message = await channel.ReceiveAsync();
                }
                catch (TaskletExit)
                {
                    // A value in the receiver's fields: it was handed over, and the kill came before the receiver ran.
                    if (Tasklet.Current.PeekValue<Message>().Value is Message held)
                    {
                        Interlocked.Increment(ref state.Lost[held.Id]);
                    }
                    else
                    {
                        Interlocked.Increment(ref state.ReceiversKilledEmpty);
                    }

                    throw;
                }

                if (Interlocked.Increment(ref state.Received[message.Id]) > 1)
                {
                    state.Fail($"value {message.Id} was received twice");
                }
            }
        }
        catch (TaskletExit) when (!state.Stopping)
        {
            Tasklet.Spawn(() => Receiver(state, role, channel));
            throw;
        }
    }

    private sealed class Message(int id)
    {
        public int Id { get; } = id;
    }

    /// <summary>Per value: the sender's outcome, how often it was received, how often a killed receiver lost it.</summary>
    private sealed class Ledger(int count, int roles)
    {
        public readonly int Count = count;
        public readonly int[] Sender = new int[count + 1];
        public readonly int[] Received = new int[count + 1];
        public readonly int[] Lost = new int[count + 1];
        public readonly Tasklet?[] Slots = new Tasklet?[roles];
        public readonly List<string> Failures = [];
        public int Next;
        public int SendersDone;
        public int ReceiversKilledEmpty;
        public int Kills;
        public volatile bool Stopping;

        public void Record(int id, SenderOutcome outcome)
        {
            if (Interlocked.CompareExchange(ref Sender[id], (int)outcome, (int)SenderOutcome.None) != (int)SenderOutcome.None)
            {
                Fail($"value {id} was sent twice");
            }

            Interlocked.Increment(ref SendersDone);
        }

        public void Fail(string failure)
        {
            lock (Failures)
            {
                Failures.Add(failure);
            }
        }

        public int HandedOver()
        {
            var handedOver = 0;
            for (var id = 1; id <= Count; id++)
            {
                handedOver += Volatile.Read(ref Sender[id]) is (int)SenderOutcome.Returned or (int)SenderOutcome.RaisedAfterHandOver ? 1 : 0;
            }

            return handedOver;
        }

        public int Arrived()
        {
            var arrived = 0;
            for (var id = 1; id <= Count; id++)
            {
                arrived += Volatile.Read(ref Received[id]) + Volatile.Read(ref Lost[id]);
            }

            return arrived;
        }
    }
}
