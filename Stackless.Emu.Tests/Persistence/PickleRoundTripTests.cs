using System.Text.Json;
using System.Text.Json.Serialization;
using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Persistence;

/// <summary>Pickling tasklets in every state, with channels, locals of every kind, closures and cleanup blocks.</summary>
public class PickleRoundTripTests
{
    internal static PickleOptions Options() => new PickleOptions().AllowAssemblyOf<PickleRoundTripTests>();

    internal static Tasklet Copy(Tasklet tasklet) => Tasklet.Load(tasklet.Dump(), Options());

    // ---------------------------------------------------------------- states

    private static async TaskletFrame Counter(List<int> log, int from, int to)
    {
        for (var i = from; i < to; i++)
        {
            log.Add(i);
            await Scheduler.ScheduleAsync();
        }
    }

    [Fact]
    public void A_runnable_tasklet_resumes_where_it_was_pickled_and_comes_back_paused() => Isolated.Run(() =>
    {
        var log = new List<int>();
        var t = Tasklet.SpawnFrame(() => Counter(log, 0, 5));
        t.Run();
        t.Run();
        Assert.Equal([0, 1], log);
        Assert.True(t.Restorable);
        var copy = Copy(t);
        t.Kill();
        Assert.True(copy.Alive);
        Assert.True(copy.Paused);

        // The copy has its own list: the one the frame referenced, copied.
        copy.Insert();
        Scheduler.Run();
        Assert.False(copy.Alive);
        Assert.Equal([0, 1], log);
    });

    [Fact]
    public void Locals_and_loop_variables_survive() => Isolated.Run(() =>
    {
        var log = new List<string>();
        var t = Tasklet.SpawnFrame(() => Recording(log, 10));
        for (var i = 0; i < 4; i++)
        {
            t.Run();
        }

        var copy = Copy(t);
        t.Kill();
        copy.Insert();
        Scheduler.Run();
        Assert.Empty(log);
        Assert.Equal(["total 55"], LastLog);
    });

    private static List<string>? LastLog;

    private static async TaskletFrame Recording(List<string> log, int count)
    {
        LastLog = log;
        var total = 0;
        for (var i = 1; i <= count; i++)
        {
            total += i;
            await Scheduler.ScheduleAsync();
            LastLog = log;
        }

        log.Add($"total {total}");
    }

    [Fact]
    public void A_paused_tasklet_stays_paused() => Isolated.Run(() =>
    {
        var log = new List<string>();
        var t = Tasklet.SpawnFrame(() => Recording(log, 3));
        t.Run();
        t.Remove();
        Assert.True(t.Paused);
        var copy = Copy(t);
        Assert.True(copy.Paused);
        t.Kill();
        copy.Insert();
        Scheduler.Run();
        Assert.Equal(["total 6"], LastLog);
        Assert.NotSame(log, LastLog);
    });

    [Fact]
    public void A_new_tasklet_is_pickled_before_it_runs() => Isolated.Run(() =>
    {
        var t = Tasklet.CreateFrame(() => Recording([], 2));
        var copy = Copy(t);
        Assert.False(copy.Alive);
        copy.Setup();
        Scheduler.Run();
        Assert.Equal(["total 3"], LastLog);

        var alive = Tasklet.SpawnFrame(() => Recording([], 3));
        var aliveCopy = Copy(alive);
        alive.Kill();
        Assert.True(aliveCopy.Alive);
        Assert.True(aliveCopy.Paused);
        aliveCopy.Insert();
        Scheduler.Run();
        Assert.Equal(["total 6"], LastLog);
    });

    [Fact]
    public void A_tasklet_with_a_plain_body_is_pickled_before_it_starts() => Isolated.Run(() =>
    {
        var t = new Tasklet(PlainBody) { Name = "plain" };
        var copy = Copy(t);
        Assert.Equal("plain", copy.Name);
        copy.Setup();
        Scheduler.Run();
        Assert.Equal("plain body ran", copy.TempVal);
    });

    [PickleDelegateTarget]
    private static Task PlainBody()
    {
        Tasklet.Current.TempVal = "plain body ran";
        return Task.CompletedTask;
    }

    // ---------------------------------------------------------------- channels

    private static async TaskletFrame Receive(Channel<string> ch, List<string> log)
    {
        var value = await ch.ReceiveAsync();
        log.Add("got " + value);
        LastLog = log;
    }

    [Fact]
    public void A_tasklet_blocked_receiving_is_restored_blocked_on_a_copy_of_its_channel() => Isolated.Run(() =>
    {
        var ch = new Channel<string> { Name = "in", Preference = 1 };
        var t = Tasklet.SpawnFrame(() => Receive(ch, []));
        t.Run();
        Assert.True(t.Blocked);
        var contents = new TaskletPickler(Options()).Load(new TaskletPickler(Options()).Dump([t]));
        t.Kill();
        var copy = contents.Tasklets[0];
        var channel = Assert.IsType<Channel<string>>(Assert.Single(contents.Channels));
        Assert.Equal("in", channel.Name);
        Assert.Equal(1, channel.Preference);
        Assert.True(copy.Blocked);
        Assert.Equal(-1, channel.Balance);
        Assert.Same(copy, channel.Queue);
        channel.Send("hello");
        Scheduler.Run();
        Assert.False(copy.Alive);
        Assert.Equal(["got hello"], LastLog);
    });

    private static async TaskletFrame Send(Channel<int> ch, int value) => await ch.SendAsync(value);

    [Fact]
    public void Blocked_senders_keep_their_values_and_their_order() => Isolated.Run(() =>
    {
        var ch = new Channel<int>();
        var senders = Enumerable.Range(1, 3).Select(i => Tasklet.SpawnFrame(() => Send(ch, i * 10))).ToList();
        Scheduler.Run();
        Assert.Equal(3, ch.Balance);
        var pickler = new TaskletPickler(Options());
        var data = pickler.Dump([], [ch]);
        foreach (var sender in senders)
        {
            sender.Kill();
        }

        var contents = pickler.Load(data);
        var copy = Assert.IsType<Channel<int>>(contents.Roots[0]);
        Assert.Equal(3, copy.Balance);
        Assert.Equal([10, 20, 30], new[] { copy.Receive(), copy.Receive(), copy.Receive() });
        Scheduler.Run();
        Assert.All(contents.Tasklets, t => Assert.False(t.Alive));
    });

    private static async TaskletFrame Relay(Channel<int> input, Channel<int> output)
    {
        while (true)
        {
            var value = await input.ReceiveAsync();
            await output.SendAsync(value + 1);
        }
    }

    [Fact]
    public void Cooperating_tasklets_are_restored_together_and_share_their_channels() => Isolated.Run(() =>
    {
        var a = new Channel<int>();
        var b = new Channel<int>();
        var c = new Channel<int>();
        var first = Tasklet.SpawnFrame(() => Relay(a, b));
        var second = Tasklet.SpawnFrame(() => Relay(b, c));
        Scheduler.Run();
        var pickler = new TaskletPickler(Options());
        var data = pickler.Dump([first, second]);
        first.Kill();
        second.Kill();

        var contents = pickler.Load(data);
        Assert.Equal(2, contents.Tasklets.Count);
        Assert.Equal(3, contents.Channels.Count);
        var (a2, c2) = ((Channel<int>)contents.Channels.Single(ch => ch.Balance < 0 && ch.Queue == contents.Tasklets[0]), (Channel<int>)contents.Channels.Single(ch => ch.Balance == 0));
        a2.Send(1);
        Assert.Equal(3, c2.Receive());
        a2.Send(10);
        Assert.Equal(12, c2.Receive());
        foreach (var t in contents.Tasklets)
        {
            t.Kill();
        }
    });

    private static async TaskletFrame ShareTwice(List<int> shared, Channel<int> ch, List<int> again)
    {
        await Scheduler.ScheduleAsync();
        shared.Add(await ch.ReceiveAsync());
        LastInts = (shared, again);
    }

    private static (List<int>, List<int>) LastInts;

    [Fact]
    public void An_object_referenced_twice_is_restored_as_one_object() => Isolated.Run(() =>
    {
        var list = new List<int> { 1 };
        var ch = new Channel<int>();
        var t = Tasklet.SpawnFrame(() => ShareTwice(list, ch, list));
        t.Run();
        var copy = Copy(t);
        t.Kill();
        copy.Insert();
        Scheduler.Run();
        Tasklet.Spawn(() => Task.CompletedTask);
        var restoredChannel = Assert.IsType<Channel<int>>(copy.Prev is null ? FindChannel(copy) : FindChannel(copy));
        restoredChannel.Send(2);
        Scheduler.Run();
        Assert.Same(LastInts.Item1, LastInts.Item2);
        Assert.Equal([1, 2], LastInts.Item1);
        Assert.NotSame(list, LastInts.Item1);
    });

    private static IChannel FindChannel(Tasklet blocked)
    {
        Assert.True(blocked.Blocked);
        return (IChannel)blocked.WaitingOnChannel!;
    }

    // ---------------------------------------------------------------- values

    public sealed record Point(int X, int Y);

    public readonly record struct Span(int From, int To);

    public sealed class Account
    {
        public string Owner { get; set; } = "";

        public decimal Balance { get; set; }
    }

    public enum Colour
    {
        Red,
        Green,
    }

    private static async TaskletFrame<string> Values(
        int i, long l, double d, bool b, char c, string s, string? none, Colour colour, int[] array, List<string> list,
        Dictionary<string, int> map, HashSet<int> set, Point point, Span span, Account account, (int, string) tuple, object boxed, int? maybe)
    {
        await Scheduler.ScheduleAsync();
        return string.Join("|", i, l, d, b, c, s, none ?? "null", colour, string.Join(",", array), string.Join(",", list),
            string.Join(",", map.OrderBy(p => p.Key).Select(p => $"{p.Key}={p.Value}")), string.Join(",", set.Order()), point, span,
            $"{account.Owner}:{account.Balance}", tuple, boxed, maybe);
    }

    [Fact]
    public void Primitives_strings_collections_records_and_user_classes_survive() => Isolated.Run(() =>
    {
        string? result = null;
        var t = Tasklet.SpawnFrame(async () => result = await Values(
            1, 2L, 3.5, true, 'x', "text", null, Colour.Green, [1, 2], ["a", "b"], new() { ["k"] = 1, ["j"] = 2 },
            [3, 1, 2], new Point(1, 2), new Span(3, 4), new Account { Owner = "ann", Balance = 12.5m }, (7, "seven"), 42L, 5));
        t.Run();
        var expected = "1|2|3.5|True|x|text|null|Green|1,2|a,b|j=2,k=1|1,2,3|Point { X = 1, Y = 2 }|Span { From = 3, To = 4 }|ann:12.5|(7, seven)|42|5";
        var copy = Copy(t);
        copy.Insert();
        Scheduler.Run();
        Assert.Equal(expected, result);
        Assert.False(copy.Alive);
        Assert.False(t.Alive);
    });

    public sealed class Opaque(string secret)
    {
        public string Reveal() => secret;
    }

    private sealed class OpaqueConverter : JsonConverter<Opaque>
    {
        public override Opaque Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => new(reader.GetString()!);

        public override void Write(Utf8JsonWriter writer, Opaque value, JsonSerializerOptions options) => writer.WriteStringValue(value.Reveal());
    }

    private static async TaskletFrame HoldOpaque(Opaque value)
    {
        await Scheduler.ScheduleAsync();
        Tasklet.Current.TempVal = value.Reveal();
    }

    [Fact]
    public void A_registered_converter_saves_a_type_the_default_serializer_cannot() => Isolated.Run(() =>
    {
        var t = Tasklet.SpawnFrame(() => HoldOpaque(new Opaque("hidden")));
        t.Run();
        var options = Options().AddConverter(new OpaqueConverter());
        var copy = Tasklet.Load(t.Dump(options), options);
        t.Kill();
        copy.Insert();
        Scheduler.Run();
        Assert.Equal("hidden", copy.TempVal);
    });

    [Fact]
    public void A_custom_serializer_is_pluggable() => Isolated.Run(() =>
    {
        var serializer = new CountingSerializer();
        var options = Options();
        options.Serializer = serializer;
        var t = Tasklet.SpawnFrame(() => HoldPoint(new Point(3, 4)));
        t.Run();
        var copy = Tasklet.Load(t.Dump(options), options);
        Assert.True(serializer.Writes > 0);
        Assert.True(serializer.Reads > 0);
        t.Kill();
        copy.Kill();
    });

    private static async TaskletFrame HoldPoint(Point point)
    {
        await Scheduler.ScheduleAsync();
        Tasklet.Current.TempVal = point;
    }

    private sealed class CountingSerializer : IPickleSerializer
    {
        private readonly JsonPickleSerializer _inner = new();

        public int Writes { get; private set; }

        public int Reads { get; private set; }

        public void Serialize(Utf8JsonWriter writer, object value, Type type)
        {
            Writes++;
            _inner.Serialize(writer, value, type);
        }

        public object? Deserialize(ref Utf8JsonReader reader, Type type)
        {
            Reads++;
            return _inner.Deserialize(ref reader, type);
        }
    }

    // ---------------------------------------------------------------- this, closures, delegates

    [PickleByFields]
    private sealed class Worker
    {
        private readonly Channel<int> _input;
        private int _handled;

        public Worker(Channel<int> input) => _input = input;

        public List<int> Seen { get; } = [];

        public async TaskletFrame Run()
        {
            while (true)
            {
                Seen.Add(await _input.ReceiveAsync());
                _handled++;
                LastWorker = this;
            }
        }

        public int Handled => _handled;
    }

    private static Worker? LastWorker;

    [Fact]
    public void The_this_of_an_instance_method_is_restored_with_its_fields_and_channel() => Isolated.Run(() =>
    {
        var input = new Channel<int>();
        var worker = new Worker(input);
        var t = Tasklet.SpawnFrame(worker.Run);
        Scheduler.Run();
        input.Send(1);
        var contents = new TaskletPickler(Options()).Load(t.Dump(Options()));
        t.Kill();
        var copy = contents.Tasklets[0];
        var copiedInput = (Channel<int>)Assert.Single(contents.Channels);
        copiedInput.Send(2);
        Assert.NotSame(worker, LastWorker);
        Assert.Equal([1, 2], LastWorker!.Seen);
        Assert.Equal(2, LastWorker.Handled);
        copy.Kill();
    });

    [Fact]
    public void Closures_are_restored_with_their_captured_variables() => Isolated.Run(() =>
    {
        var count = 0;
        var label = "n";
        var t = Tasklet.SpawnFrame(async () =>
        {
            while (count < 5)
            {
                count++;
                await Scheduler.ScheduleAsync();
            }

            Tasklet.Current.TempVal = $"{label}={count}";
        });
        t.Run();
        t.Run();
        var copy = Copy(t);
        t.Kill();
        Assert.Equal(2, count);
        copy.Insert();
        Scheduler.Run();
        Assert.Equal("n=5", copy.TempVal);
        Assert.Equal(2, count); // the original closure is untouched: the copy has its own
    });

    [Fact]
    public void A_recursive_lambda_referring_to_itself_through_its_closure_is_restored() => Isolated.Run(() =>
    {
        Func<int, TaskletFrame<int>>? recurse = null;
        recurse = async n =>
        {
            if (n == 0)
            {
                await Scheduler.ScheduleAsync();
                return 0;
            }

            return n + await recurse!(n - 1);
        };
        var t = Tasklet.SpawnFrame(async () => Tasklet.Current.TempVal = await recurse(5));
        t.Run();
        var copy = Copy(t);
        t.Kill();
        copy.Insert();
        Scheduler.Run();
        Assert.Equal(15, copy.TempVal);
    });

    // ---------------------------------------------------------------- cleanup after restore

    [PickleByFields]
    private sealed class Resource(List<string> log, string name) : IDisposable
    {
        public void Dispose() => log.Add("dispose " + name);
    }

    private static async TaskletFrame Cleanup(List<string> log, Channel<int> ch)
    {
        LastLog = log;
        try
        {
            using var resource = new Resource(log, "r");
            log.Add("got " + await ch.ReceiveAsync());
        }
        finally
        {
            log.Add("finally");
            LastLog = log;
        }
    }

    [Fact]
    public void Try_finally_and_using_spanning_the_suspension_run_after_restore() => Isolated.Run(() =>
    {
        var ch = new Channel<int>();
        var t = Tasklet.SpawnFrame(() => Cleanup([], ch));
        t.Run();
        var contents = new TaskletPickler(Options()).Load(t.Dump(Options()));
        t.Kill();
        Assert.Equal(["dispose r", "finally"], LastLog);
        var copyChannel = (Channel<int>)contents.Channels[0];
        copyChannel.Send(7);
        Assert.Equal(["got 7", "dispose r", "finally"], LastLog);

        // and killed after a restore: the cleanup runs too
        var t2 = Tasklet.SpawnFrame(() => Cleanup([], ch));
        t2.Run();
        var copy2 = Copy(t2);
        t2.Kill();
        copy2.Kill();
        Assert.Equal(["dispose r", "finally"], LastLog);
    });

    private static async TaskletFrame FinallyAwaits(List<string> log)
    {
        LastLog = log;
        try
        {
            try
            {
                throw new InvalidOperationException("boom");
            }
            finally
            {
                log.Add("finally enter");
                await Scheduler.ScheduleAsync();
                log.Add("finally leave");
            }
        }
        catch (InvalidOperationException e)
        {
            log.Add("caught " + e.Message);
        }

        LastLog = log;
    }

    [Fact]
    public void An_exception_pending_across_an_await_in_finally_is_rethrown_after_restore() => Isolated.Run(() =>
    {
        var t = Tasklet.SpawnFrame(() => FinallyAwaits([]));
        t.Run();
        var copy = Copy(t);
        t.Remove();
        copy.Insert();
        Scheduler.Run();
        Assert.Equal(["finally enter", "finally leave", "caught boom"], LastLog);
        t.Kill();
    });

    [Fact]
    public void A_restored_tasklet_can_be_pickled_again() => Isolated.Run(() =>
    {
        var log = new List<string>();
        var t = Tasklet.SpawnFrame(() => Recording(log, 4));
        t.Run();
        var copy = Copy(t);
        t.Kill();
        Assert.True(copy.Restorable);
        copy.Insert();
        copy.Run();
        var copy2 = Copy(copy);
        copy.Kill();
        copy2.Insert();
        Scheduler.Run();
        Assert.Equal(["total 10"], LastLog);
    });
}
