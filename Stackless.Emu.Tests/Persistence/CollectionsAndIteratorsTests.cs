using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Persistence;

/// <summary>
/// Collections of picklable objects, tuples, live enumerators of the BCL collections and iterators (yield return), all
/// pickled through the pickler's own graph, and the location a pickling error names.
/// </summary>
public class CollectionsAndIteratorsTests
{
    private static PickleOptions Options() => PickleRoundTripTests.Options();

    private static PickleContents RoundTrip(params Tasklet[] tasklets)
    {
        var pickler = new TaskletPickler(Options());
        var data = pickler.Dump(tasklets);
        foreach (var t in tasklets)
        {
            t.Discard();
        }

        return pickler.Load(data);
    }

    // ---------------------------------------------------------------- objects in collections

    [PickleByFields]
    private sealed class Item(string name, Channel<int> inbox)
    {
        public string Name => name;

        public Channel<int> Inbox => inbox;
    }

    private static async TaskletFrame Serve(List<Item> items)
    {
        while (true)
        {
            var total = 0;
            foreach (var item in items)
            {
                total += await item.Inbox.ReceiveAsync();
            }

            Tasklet.Current.TempVal = $"{string.Join("+", items.Select(i => i.Name))}={total}";
        }
    }

    [Fact]
    public void A_list_of_objects_holding_channels_pickles_and_keeps_the_channels_shared() => Isolated.Run(() =>
    {
        var shared = new Channel<int>();
        var items = new List<Item> { new("a", shared), new("b", new Channel<int>()), new("c", shared) };
        var t = Tasklet.SpawnFrame(() => Serve(items));
        t.Run();
        var contents = RoundTrip(t);
        var copy = contents.Tasklets[0];
        Assert.Equal(2, contents.Channels.Count); // "a" and "c" still share one channel
        var first = (Channel<int>)contents.Channels.Single(c => c.Balance == -1);
        var second = (Channel<int>)contents.Channels.Single(c => c.Balance == 0);
        first.Send(1);
        second.Send(2);
        first.Send(3);
        Assert.Equal("a+b+c=6", copy.TempVal);
        copy.Kill();
    });

    private sealed class PlainItem(Channel<int> inbox)
    {
        public Channel<int> Inbox => inbox;
    }

    private static async TaskletFrame HoldPlain(List<PlainItem> items)
    {
        await Scheduler.ScheduleAsync();
        GC.KeepAlive(items);
    }

    [Fact]
    public void An_unmarked_object_holding_a_channel_is_refused_with_advice_that_works() => Isolated.Run(() =>
    {
        var t = Tasklet.SpawnFrame(() => HoldPlain([new PlainItem(new Channel<int>())]));
        t.Run();
        var error = Assert.Throws<PicklingException>(() => t.Dump());
        Assert.Contains("[PickleByFields]", error.Message, StringComparison.Ordinal);
        Assert.Contains("element #0 of", error.Message, StringComparison.Ordinal);
        t.Kill();
    });

    private static async TaskletFrame<string> Collections(
        Dictionary<string, Channel<int>> byName, HashSet<string> names, Queue<int> queue, Stack<int> stack, LinkedList<string> linked,
        SortedDictionary<string, int> sorted, SortedSet<int> sortedSet, SortedList<int, string> sortedList, Channel<int>[] array,
        (Channel<int> Channel, int Count) pair, KeyValuePair<string, Tasklet?> entry, Tuple<int, string> tuple, List<object?> mixed)
    {
        await Scheduler.ScheduleAsync();
        return string.Join("|",
            string.Join(",", byName.Keys.Order()) + (ReferenceEquals(byName["x"], byName["y"]) ? " shared" : " apart"),
            names.Contains("ANN") + "/" + names.Count,
            string.Join(",", queue),
            string.Join(",", stack),
            string.Join(",", linked),
            string.Join(",", sorted.Keys) + "/" + sorted.ContainsKey("B"),
            string.Join(",", sortedSet),
            string.Join(",", sortedList.Values),
            (ReferenceEquals(array[0], pair.Channel) && ReferenceEquals(array[1], byName["x"])) + "/" + pair.Count,
            entry.Key + "/" + (entry.Value is null),
            tuple,
            string.Join(",", mixed.Select(m => m?.GetType().Name ?? "null")));
    }

    [Fact]
    public void The_BCL_collections_tuples_and_comparers_round_trip_with_identity() => Isolated.Run(() =>
    {
        var x = new Channel<int>();
        var z = new Channel<int>();
        var t = Tasklet.SpawnFrame(async () => Tasklet.Current.TempVal = await Collections(
            new() { ["x"] = x, ["y"] = x },
            new(StringComparer.OrdinalIgnoreCase) { "ann", "Bob" },
            new([1, 2, 3]),
            new([1, 2, 3]),
            new(["l1", "l2"]),
            new(StringComparer.OrdinalIgnoreCase) { ["b"] = 2, ["a"] = 1 },
            new([3, 1, 2]),
            new() { [2] = "two", [1] = "one" },
            [z, x],
            (z, 7),
            new("k", null),
            Tuple.Create(5, "five"),
            [1, "s", 2.5, null, x]));
        t.Run();
        var expected = "x,y shared|True/2|1,2,3|3,2,1|l1,l2|a,b/True|1,2,3|one,two|True/7|k/True|(5, five)|Int32,String,Double,null,Channel`1";
        var copy = RoundTrip(t).Tasklets[0];
        copy.Insert();
        Scheduler.Run();
        Assert.Equal(expected, copy.TempVal);
    });

    private sealed class Reversed : IComparer<int>
    {
        public int Compare(int x, int y) => y.CompareTo(x);
    }

    private static async TaskletFrame<string> HoldSorted(SortedSet<int> set)
    {
        await Scheduler.ScheduleAsync();
        set.Add(0);
        return string.Join(",", set);
    }

    [Fact]
    public void A_stateless_custom_comparer_is_rebuilt_by_the_serializer() => Isolated.Run(() =>
    {
        var t = Tasklet.SpawnFrame(async () => Tasklet.Current.TempVal = await HoldSorted(new SortedSet<int>(new Reversed()) { 1, 2 }));
        t.Run();
        var copy = RoundTrip(t).Tasklets[0];
        copy.Insert();
        Scheduler.Run();
        Assert.Equal("2,1,0", copy.TempVal);
    });

    // ---------------------------------------------------------------- the location named by an error

    [PickleByFields]
    private sealed class Holder
    {
        public Type Kind { get; } = typeof(int);
    }

    private static async TaskletFrame Pathed(Holder first, string second)
    {
        await Scheduler.ScheduleAsync();
        GC.KeepAlive(first);
        GC.KeepAlive(second);
    }

    [Fact]
    public void A_pickling_error_names_the_field_that_holds_the_object_not_the_last_one_written() => Isolated.Run(() =>
    {
        var t = Tasklet.SpawnFrame(() => Pathed(new Holder(), "written last"));
        t.Run();
        var error = Assert.Throws<PicklingException>(() => t.Dump());
        Assert.Contains("field <Kind>k__BackingField of object", error.Message, StringComparison.Ordinal);
        Assert.Contains("field first of frame", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("second", error.Message, StringComparison.Ordinal);
        t.Kill();
    });

    // ---------------------------------------------------------------- enumerators

    private static async TaskletFrame<string> SumThenWait(List<int> items)
    {
        var total = 0;
        foreach (var item in items)
        {
            total += item;
            await Scheduler.ScheduleAsync();
        }

        await Scheduler.ScheduleAsync(); // the foreach is over: its enumerator is spent
        return "sum " + total;
    }

    [Fact]
    public void A_finished_foreach_over_a_list_pickles() => Isolated.Run(() =>
    {
        var t = Tasklet.SpawnFrame(async () => Tasklet.Current.TempVal = await SumThenWait([1, 2, 3]));
        for (var i = 0; i < 4; i++)
        {
            t.Run();
        }

        var copy = RoundTrip(t).Tasklets[0];
        copy.Insert();
        Scheduler.Run();
        Assert.Equal("sum 6", copy.TempVal);
    });

    private static async TaskletFrame<string> ModifyWhileWalking(List<int> items)
    {
        try
        {
            foreach (var item in items)
            {
                await Scheduler.ScheduleAsync();
                if (item == 2)
                {
                    items.Add(99); // the list the restored enumerator walks: its next MoveNext must see the change
                }
            }

            return "not detected";
        }
        catch (InvalidOperationException)
        {
            return "modified " + string.Join(",", items);
        }
    }

    [Fact]
    public void A_restored_enumerator_walks_the_very_list_the_frame_holds() => Isolated.Run(() =>
    {
        var t = Tasklet.SpawnFrame(async () => Tasklet.Current.TempVal = await ModifyWhileWalking([1, 2, 3]));
        t.Run();
        var copy = RoundTrip(t).Tasklets[0];
        copy.Insert();
        Scheduler.Run();
        Assert.Equal("modified 1,2,3,99", copy.TempVal);
    });

    private static async TaskletFrame<string> Walk<T>(IEnumerable<T> items, int pickleAt)
    {
        var seen = new List<T>();
        var i = 0;
        foreach (var item in items)
        {
            if (i++ == pickleAt)
            {
                await Scheduler.ScheduleAsync();
            }

            seen.Add(item);
        }

        return string.Join(",", seen);
    }

    public static TheoryData<string> Walks => ["queue", "stack", "linked", "keys", "values", "set", "dictionary", "array", "nested-iterator"];

    private static IEnumerable<int> Evens(IEnumerable<int> source)
    {
        foreach (var value in source)
        {
            if (value % 2 == 0)
            {
                yield return value;
            }
        }
    }

    [Theory]
    [MemberData(nameof(Walks))]
    public void An_enumerator_picked_up_mid_walk_continues_where_it_was(string kind) => Isolated.Run(() =>
    {
        var numbers = Enumerable.Range(0, 10).ToList();
        var dictionary = numbers.ToDictionary(n => "k" + n, n => n);
        Func<TaskletFrame<string>> walk = kind switch
        {
            "queue" => () => Walk(new Queue<int>(numbers), 4),
            "stack" => () => Walk(new Stack<int>(numbers), 4),
            "linked" => () => Walk(new LinkedList<int>(numbers), 4),
            "keys" => () => Walk(dictionary.Keys, 4),
            "values" => () => Walk(dictionary.Values, 4),
            "set" => () => Walk(new HashSet<int>(numbers), 4),
            "dictionary" => () => Walk(dictionary, 4),
            "array" => () => Walk(numbers.ToArray(), 4), // an array seen as an IEnumerable<int>: the BCL's array enumerator
            _ => () => Walk(Evens(numbers), 2),
        };
        var results = new List<object?>();
        foreach (var pickle in new[] { false, true })
        {
            var t = Tasklet.SpawnFrame(async () => Tasklet.Current.TempVal = await walk());
            t.Run();
            if (pickle)
            {
                t = RoundTrip(t).Tasklets[0];
                t.Insert();
            }

            Scheduler.Run();
            results.Add(t.TempVal);
        }

        Assert.NotNull(results[0]);
        Assert.Equal(results[0], results[1]);
    });

    private static async TaskletFrame HoldEnumerator(List<int> items)
    {
        using var enumerator = items.GetEnumerator();
        enumerator.MoveNext();
        items.Add(4);
        await Scheduler.ScheduleAsync();
        GC.KeepAlive(items);
    }

    [Fact]
    public void An_enumerator_of_a_changed_collection_is_refused() => Isolated.Run(() =>
    {
        var t = Tasklet.SpawnFrame(() => HoldEnumerator([1, 2, 3]));
        t.Run();
        Assert.Contains("changed", Assert.Throws<PicklingException>(() => t.Dump()).Message, StringComparison.Ordinal);
        t.Kill();
    });

    private static async IAsyncEnumerable<int> Ticks()
    {
        await Scheduler.ScheduleAsync();
        yield return 1;
    }

    private static async TaskletFrame HoldAsyncEnumerator(IAsyncEnumerator<int> ticks)
    {
        await Scheduler.ScheduleAsync();
        GC.KeepAlive(ticks);
    }

    [Fact]
    public void An_async_enumerator_is_refused_by_name() => Isolated.Run(() =>
    {
        var t = Tasklet.SpawnFrame(() => HoldAsyncEnumerator(Ticks().GetAsyncEnumerator()));
        t.Run();
        Assert.Contains("async iterators cannot be pickled", Assert.Throws<PicklingException>(() => t.Dump()).Message, StringComparison.Ordinal);
        t.Kill();
    });

    private static IEnumerable<int> Counter(int from)
    {
        for (var i = from; ; i++)
        {
            yield return i;
        }
    }

    private static async TaskletFrame<string> TakeThree(IEnumerator<int> counter)
    {
        var taken = new List<int>();
        for (var i = 0; i < 3; i++)
        {
            counter.MoveNext();
            taken.Add(counter.Current);
            await Scheduler.ScheduleAsync();
        }

        return string.Join(",", taken);
    }

    [Fact]
    public void An_iterator_held_as_an_enumerator_keeps_its_position_and_locals() => Isolated.Run(() =>
    {
        var counter = Counter(10).GetEnumerator();
        counter.MoveNext(); // 10: taken before the tasklet starts
        var t = Tasklet.SpawnFrame(async () => Tasklet.Current.TempVal = await TakeThree(counter));
        t.Run();
        var copy = RoundTrip(t).Tasklets[0];
        copy.Insert();
        Scheduler.Run();
        Assert.Equal("11,12,13", copy.TempVal);
    });
}
