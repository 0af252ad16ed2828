using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Persistence;

/// <summary>
/// The attacks of the reliability issue's "Pickle loading" items 1-7, replayed on pickles edited as JSON. Each test
/// failed on the loader before it was hardened (a crash, a load that should be refused, an exception of another type,
/// or a blown-up memory use); now each malformed pickle is refused with an <see cref="UnpicklingException"/> and leaves
/// the scheduler untouched.
/// </summary>
public class LoaderRegressionTests
{
    private static PickleOptions Options() => PickleRoundTripTests.Options();

    private static async TaskletFrame Waits(int depth)
    {
        if (depth == 0)
        {
            await Scheduler.ScheduleAsync();
        }
        else
        {
            await Waits(depth - 1);
        }
    }

    private static async TaskletFrame Receives(Channel<int> channel, Channel<int> other)
    {
        await channel.ReceiveAsync();
        GC.KeepAlive(other);
    }

    /// <summary>Pickles the tasklets made by <paramref name="spawn"/> once each has run to its first suspension, then drops the originals.</summary>
    private static PickleDocument Pickle(params Func<Tasklet>[] spawn)
    {
        var tasklets = spawn.Select(s => s()).ToList();
        foreach (var t in tasklets)
        {
            if (t.Scheduled && !t.Blocked)
            {
                t.Run();
            }
        }

        var data = new TaskletPickler(Options()).Dump(tasklets);
        foreach (var t in tasklets)
        {
            t.Kill();
        }

        return PickleDocument.Parse(data);
    }

    private static PickleDocument Suspended() => Pickle(() => Tasklet.SpawnFrame(() => Waits(1)));

    /// <summary>Two tasklets blocked receiving, each on one channel and holding the other channel.</summary>
    private static PickleDocument TwoBlocked()
    {
        var a = new Channel<int>();
        var b = new Channel<int>();
        return Pickle(() => Tasklet.SpawnFrame(() => Receives(a, b)), () => Tasklet.SpawnFrame(() => Receives(b, a)));
    }

    /// <summary>Asserts that loading <paramref name="document"/> is refused with an <see cref="UnpicklingException"/> and restores nothing.</summary>
    private static UnpicklingException Refused(PickleDocument document, PickleOptions? options = null)
    {
        var before = Scheduler.AliveTasklets().Count;
        var error = Assert.Throws<UnpicklingException>(() => new TaskletPickler(options ?? Options()).Load(document.ToBytes()));
        Assert.Equal(before, Scheduler.AliveTasklets().Count);
        return error;
    }

    /// <summary>Asserts that loading either works or is refused with an <see cref="UnpicklingException"/>, and drops what loaded.</summary>
    private static void LoadsOrIsRefused(PickleDocument document)
    {
        try
        {
            foreach (var t in new TaskletPickler(Options()).Load(document.ToBytes()).Tasklets)
            {
                t.Kill();
            }
        }
        catch (UnpicklingException)
        {
        }
    }

    private static Type StateMachineOf(string method) =>
        typeof(LoaderRegressionTests).GetMethod(method, BindingFlags.NonPublic | BindingFlags.Static)!.GetCustomAttribute<AsyncStateMachineAttribute>()!.StateMachineType;

    // ---------------------------------------------------------------- 1. a crash from one flipped bit

    [Fact]
    public void Item1_a_type_entry_that_refers_to_itself_is_refused() => Isolated.Run(() =>
    {
        var document = Suspended();
        var entry = document.TypeNamed(StateMachineOf(nameof(Waits)).FullName!);
        document.Types[entry] = new JsonObject { ["e"] = entry, ["r"] = 1 }; // {"a":..} flipped to {"e":..}
        Refused(document);
    });

    [Fact]
    public void Item1_a_generic_entry_that_is_its_own_argument_is_refused() => Isolated.Run(() =>
    {
        var document = Suspended();
        var entry = document.TypeNamed(StateMachineOf(nameof(Waits)).FullName!);
        document.Types[entry] = new JsonObject { ["a"] = document.Assembly("System.Private.CoreLib"), ["n"] = "System.Collections.Generic.List`1", ["g"] = new JsonArray(entry) };
        Refused(document);
    });

    [Fact]
    public void Item1_a_50000_deep_chain_of_array_types_is_refused() => Isolated.Run(() =>
    {
        var document = Suspended();
        var element = document.AddNamedType("System.Private.CoreLib", "System.Int32");
        for (var i = 0; i < 50_000; i++)
        {
            element = document.AddType(new JsonObject { ["e"] = element, ["r"] = 1 });
        }

        document.Tasklets[0]!["tempVal"] = new JsonObject { ["$type"] = element, ["d"] = null };
        Refused(document);
    });

    // ---------------------------------------------------------------- 2. the allow-list bypassed through a type name

    private static bool IsLoaded(string assembly) => AppDomain.CurrentDomain.GetAssemblies().Any(a => a.GetName().Name == assembly);

    /// <summary>A sender whose frame holds its channel as an object (so no field's declared type constrains the channel's).</summary>
    private static async TaskletFrame SendsBoxed(object channel, object value) => await ((Channel<object>)channel).SendAsync(value);

    [Theory]
    [InlineData("Stackless.Emu.Channel`1[[System.IO.FileSystemWatcher, System.IO.FileSystem.Watcher]]")]
    [InlineData("Stackless.Emu.Channel`1[[System.IO.FileInfo, System.Private.CoreLib]]")]
    [InlineData("Stackless.Emu.Channel`1[System.IO.FileInfo]")]
    public void Item2_a_type_name_with_generic_arguments_loads_no_assembly_and_is_refused(string name) => Isolated.Run(() =>
    {
        var watcherLoaded = IsLoaded("System.IO.FileSystem.Watcher");
        var channel = new Channel<object>();
        var document = Pickle(() => Tasklet.SpawnFrame(() => SendsBoxed(channel, "x")));
        document.Channels[0]!["type"] = document.AddNamedType("Stackless.Emu", name);
        document.Tasklets[0]!["slot"] = new JsonObject { ["Path"] = "/", ["EnableRaisingEvents"] = false }; // the waiter's value, built by the serializer as the channel's element type

        var error = Refused(document);
        Assert.Contains(name, error.Message, StringComparison.Ordinal);
        Assert.Equal(watcherLoaded, IsLoaded("System.IO.FileSystem.Watcher"));
    });

    [Theory]
    [InlineData("System.Private.CoreLib")]
    [InlineData("Stackless.Emu")]
    public void Item2_a_channel_of_FileInfo_is_refused_when_System_IO_is_not_allowed(string claimedAssembly) => Isolated.Run(() =>
    {
        var document = TwoBlocked();
        var fileInfo = document.AddNamedType(claimedAssembly, "System.IO.FileInfo");
        var channelType = document.AddNamedType("Stackless.Emu", "Stackless.Emu.Channel`1", fileInfo);
        foreach (var channel in document.Channels)
        {
            channel!["type"] = channelType;
        }

        Assert.Contains("System.IO.FileInfo", Refused(document).Message, StringComparison.Ordinal);
    });

    // ---------------------------------------------------------------- 3. the allow-list reaching too far

    /// <summary>An object entry setting every field of <paramref name="type"/> (nulls), with its true layout hash.</summary>
    private static void SetFieldsFromData(PickleDocument document, Type type)
    {
        var entry = document.AddNamedType(type.Assembly.GetName().Name!, type.FullName!);
        document.Types[entry]!["l"] = StateMachineLayout.Of(type).Hash;
        var fields = new JsonObject();
        foreach (var (key, _) in StateMachineLayout.Of(type).Fields)
        {
            fields[key] = null;
        }

        var id = document.AddObject(new JsonObject { ["fields"] = entry, ["f"] = fields });
        document.Tasklets[0]!["tempVal"] = new JsonObject { ["$ref"] = id };
    }

    [Fact]
    public void Item3_the_private_fields_of_a_library_type_are_never_set_from_data() => Isolated.Run(() =>
    {
        var document = Suspended();
        SetFieldsFromData(document, typeof(Tasklet));
        Refused(document);
    });

    private sealed class Vault
    {
#pragma warning disable CS0649, CS0169 // Set only by the (refused) pickle.
        private bool _open;
#pragma warning restore CS0649, CS0169

        public bool Open => _open;
    }

    [Fact]
    public void Item3_the_fields_of_a_class_not_marked_PickleByFields_are_never_set_from_data() => Isolated.Run(() =>
    {
        var document = Suspended();
        SetFieldsFromData(document, typeof(Vault));
        Assert.Contains("PickleByFields", Refused(document).Message, StringComparison.Ordinal);
    });

    private static bool s_secretRan;

    private static Task Secret()
    {
        s_secretRan = true;
        return Task.CompletedTask;
    }

    private static async TaskletFrame Legit() => await Scheduler.ScheduleAsync();

    private static async TaskletFrame HoldsCallback()
    {
        Tasklet.Current.TempVal = (Func<TaskletFrame>)Legit; // only the tempval (an object) holds the delegate
        await Scheduler.ScheduleAsync();
    }

    [Fact]
    public void Item3_a_delegate_may_not_target_a_method_the_program_did_not_mark_restorable() => Isolated.Run(() =>
    {
        var document = Pickle(() => Tasklet.SpawnFrame(HoldsCallback));
        var task = document.AddNamedType("System.Private.CoreLib", "System.Threading.Tasks.Task");
        var funcOfTask = document.AddNamedType("System.Private.CoreLib", "System.Func`1", task);
        var callback = document.ObjectsWith("delegate").Single();
        callback["delegate"] = funcOfTask;
        callback["method"] = nameof(Secret);
        callback["signature"] = "->System.Threading.Tasks.Task";
        s_secretRan = false;
        var error = Refused(document);
        Assert.Contains(nameof(Secret), error.Message, StringComparison.Ordinal);
        Assert.False(s_secretRan);
    });

    private static async TaskletFrame Guarded(List<string> log, bool authorized)
    {
        await Scheduler.ScheduleAsync(); // state 0: before the check
        if (!authorized)
        {
            log.Add("denied");
            return;
        }

        await Scheduler.ScheduleAsync(); // state 1: past the check
        log.Add("privileged");
        await Legit(); // state 2: awaits a child frame
    }

    [Theory]
    [InlineData(7)] // no await point at all
    [InlineData(-1)] // "running": would restart the method with the data's locals
    [InlineData(2)] // an await of a child frame, in the innermost frame
    public void Item3_a_forged_frame_state_that_is_no_await_point_of_its_kind_is_refused(int forged) => Isolated.Run(() =>
    {
        var document = Pickle(() => Tasklet.SpawnFrame(() => Guarded([], authorized: false)));
        var fields = document.Tasklets[0]!["frames"]![0]!["fields"]!;
        Assert.Equal(0, fields["<>1__state"]!.GetValue<int>());
        fields["<>1__state"] = forged;
        Assert.Contains("state", Refused(document).Message, StringComparison.Ordinal);
    });

    // ---------------------------------------------------------------- 4. the integrity check removed

    [Fact]
    public void Item4_a_pickle_whose_layout_hashes_were_deleted_is_refused() => Isolated.Run(() =>
    {
        var document = Suspended();
        foreach (var type in document.Types)
        {
            type!.AsObject().Remove("l");
        }

        Assert.Contains("hash", Refused(document).Message, StringComparison.Ordinal);
    });

    // ---------------------------------------------------------------- 5. errors of the wrong type

    [Theory]
    [InlineData(33)]
    [InlineData(100_000)]
    [InlineData(0)]
    [InlineData(-1)]
    public void Item5_an_array_type_of_impossible_rank_is_refused_as_UnpicklingException(int rank) => Isolated.Run(() =>
    {
        var document = Suspended();
        var array = document.AddType(new JsonObject { ["e"] = document.AddNamedType("System.Private.CoreLib", "System.Int32"), ["r"] = rank });
        document.Tasklets[0]!["tempVal"] = new JsonObject { ["$type"] = array, ["d"] = null };
        Refused(document);
    });

    [Theory]
    [InlineData("System.AggregateException", null)] // three one-argument constructors: ambiguous for a null message
    [InlineData("System.TypeInitializationException", "m")] // no constructor taking a message or nothing
    public void Item5_an_exception_the_loader_cannot_build_as_asked_is_refused_or_loaded_never_crashes(string type, string? message) => Isolated.Run(() =>
    {
        var document = Suspended();
        document.Tasklets[0]!["tempVal"] = document.ExceptionValue(document.AddNamedType("System.Private.CoreLib", type), message);
        LoadsOrIsRefused(document);
    });

    private static async TaskletFrame<int> InnerInt()
    {
        await Scheduler.ScheduleAsync();
        return 1;
    }

    private static async TaskletFrame InnerVoid() => await Scheduler.ScheduleAsync();

    private static async TaskletFrame Outer() => Tasklet.Current.TempVal = await InnerInt();

    [Fact]
    public void Item5_a_child_frame_of_another_result_type_is_refused_as_UnpicklingException() => Isolated.Run(() =>
    {
        GC.KeepAlive((Func<TaskletFrame>)InnerVoid);
        var document = Pickle(() => Tasklet.SpawnFrame(Outer));
        var voidMachine = StateMachineOf(nameof(InnerVoid));
        var entry = document.AddNamedType(voidMachine.Assembly.GetName().Name!, voidMachine.FullName!);
        document.Types[entry]!["l"] = StateMachineLayout.Of(voidMachine).Hash;
        document.Tasklets[0]!["frames"]![1]!["sm"] = entry; // same fields as InnerInt's, but it returns nothing
        Refused(document);
    });

    // ---------------------------------------------------------------- 6. inconsistent state

    [Fact]
    public void Item6_duplicate_channel_ids_are_refused() => Isolated.Run(() =>
    {
        var document = TwoBlocked();
        document.Channels[1]!["id"] = 0;
        Refused(document);
    });

    [Fact]
    public void Item6_duplicate_tasklet_ids_are_refused() => Isolated.Run(() =>
    {
        var document = TwoBlocked();
        document.Tasklets[1]!["id"] = 0;
        Refused(document);
    });

    private static JsonArray QueueOf(PickleDocument document, int tasklet) =>
        document.Channels.Select(c => c!["queue"]!.AsArray()).Single(q => q.Any(t => t!.GetValue<int>() == tasklet));

    [Fact]
    public void Item6_a_tasklet_twice_in_a_queue_is_refused() => Isolated.Run(() =>
    {
        var document = TwoBlocked();
        QueueOf(document, 0).Add(0);
        Refused(document);
    });

    [Fact]
    public void Item6_a_tasklet_in_two_queues_is_refused() => Isolated.Run(() =>
    {
        var document = TwoBlocked();
        QueueOf(document, 1).Add(0);
        Refused(document);
    });

    [Fact]
    public void Item6_a_waiter_with_direction_0_is_refused() => Isolated.Run(() =>
    {
        var document = TwoBlocked();
        document.Tasklets[0]!["direction"] = 0;
        Refused(document);
    });

    [Fact]
    public void Item6_a_tasklet_both_runnable_and_queued_is_refused() => Isolated.Run(() =>
    {
        var document = TwoBlocked();
        document.Tasklets[0]!["state"] = "runnable";
        Refused(document);
    });

    private static async TaskletFrame SendsTo(Channel<int> channel) => await channel.SendAsync(42);

    [Fact]
    public void Item6_a_blocked_sender_without_its_value_is_refused() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var document = Pickle(() => Tasklet.SpawnFrame(() => SendsTo(channel)));
        Assert.True(document.Tasklets[0]!.AsObject().Remove("slot"));
        Assert.Contains("no value to send", Refused(document).Message, StringComparison.Ordinal);
    });

    [Fact]
    public void Item6_a_receiver_out_of_its_queue_without_a_value_is_refused() => Isolated.Run(() =>
    {
        var document = TwoBlocked();
        var tasklet = document.Tasklets[0]!.AsObject();
        tasklet["state"] = "paused";
        tasklet.Remove("channel");
        tasklet.Remove("direction");
        QueueOf(document, 0).RemoveAt(0);
        Assert.Contains("holds no received value", Refused(document).Message, StringComparison.Ordinal);
    });

    // ---------------------------------------------------------------- 7. memory

    private static async TaskletFrame Holds(List<int> numbers, int[] more)
    {
        await Scheduler.ScheduleAsync();
        GC.KeepAlive(numbers);
        GC.KeepAlive(more);
    }

    [Fact]
    public void Item7_loading_allocates_little_beyond_the_pickle_and_what_it_restores() => Isolated.Run(() =>
    {
        const int Count = 100_000;
        var t = Tasklet.SpawnFrame(() => Holds([.. Enumerable.Range(0, Count).Select(i => i % 10)], [.. Enumerable.Range(0, Count).Select(i => i % 10)]));
        t.Run();
        var data = t.Dump();
        t.Kill();
        var pickler = new TaskletPickler(Options());
        pickler.Load(data).Tasklets[0].Kill(); // warm up: reflection caches
        var before = GC.GetAllocatedBytesForCurrentThread();
        var copy = pickler.Load(data).Tasklets[0];
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        copy.Kill();

        // What the pickle restores: a List<int> and an int[] of 100,000 elements each (400 KB apiece).
        var restored = 2L * Count * sizeof(int);
        Assert.True(allocated < restored + data.Length, $"loading a {data.Length:N0}-byte pickle allocated {allocated:N0} bytes for {restored:N0} bytes of objects");
    });
}
