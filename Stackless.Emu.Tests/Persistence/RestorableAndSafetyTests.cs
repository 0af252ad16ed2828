using System.Text;
using System.Text.RegularExpressions;
using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Persistence;

/// <summary>Restorable, the refusal of foreign frames, and the safety checks of loading.</summary>
public class RestorableAndSafetyTests
{
    private static PickleOptions Options() => PickleRoundTripTests.Options();

    private static async TaskletFrame Scheduling(int depth)
    {
        if (depth == 0)
        {
            await Scheduler.ScheduleAsync();
        }
        else
        {
            await Scheduling(depth - 1);
        }
    }

    private static async TaskletFrame AwaitsForeign(TaskCompletionSource gate) => await gate.Task;

    private static async Task PlainAsync() => await Scheduler.ScheduleAsync();

    private static async TaskletFrame CallsPlain() => await PlainAsync();

    [Fact]
    public void Restorable_holds_for_TaskletFrame_chains_suspended_on_library_awaitables() => Isolated.Run(() =>
    {
        var t = Tasklet.SpawnFrame(() => Scheduling(3));
        Assert.True(t.Restorable); // not started
        t.Run();
        Assert.True(t.Restorable);
        t.Kill();
        Assert.True(t.Restorable); // dead: no frames, as in Stackless
        Assert.False(Tasklet.Main.Restorable);
    });

    [Fact]
    public void A_frame_awaiting_a_foreign_task_is_refused_by_name() => Isolated.Run(() =>
    {
        var gate = new TaskCompletionSource();
        var t = Tasklet.SpawnFrame(() => AwaitsForeign(gate));
        t.Run();
        Assert.True(t.BlockedOnIO);
        Assert.False(t.Restorable);
        var error = Assert.Throws<PicklingException>(() => t.Dump());
        Assert.Contains("I/O", error.Message, StringComparison.Ordinal);
        Assert.Contains("AwaitsForeign", error.Message, StringComparison.Ordinal);
        gate.SetResult();
        Scheduler.Run();
    });

    [Fact]
    public void A_plain_async_frame_in_the_chain_is_refused_by_name() => Isolated.Run(() =>
    {
        var t = Tasklet.SpawnFrame(CallsPlain);
        t.Run();
        Assert.False(t.Restorable);
        var error = Assert.Throws<PicklingException>(() => t.Dump());
        Assert.Contains("PlainAsync", error.Message, StringComparison.Ordinal);
        t.Kill();
    });

    [Fact]
    public void A_started_plain_async_tasklet_is_refused_by_name() => Isolated.Run(() =>
    {
        var t = Tasklet.Spawn(PlainAsync);
        Assert.True(t.Restorable); // its body delegate can be pickled before it starts
        t.Run();
        Assert.False(t.Restorable);
        var error = Assert.Throws<PicklingException>(() => t.Dump());
        Assert.Contains("PlainAsync", error.Message, StringComparison.Ordinal);
        t.Kill();
    });

    [Fact]
    public void A_TaskletFrame_awaited_by_a_plain_async_method_is_refused_by_name() => Isolated.Run(() =>
    {
        var t = Tasklet.Spawn(async () => await Scheduling(1));
        t.Run();
        Assert.False(t.Restorable);
        var error = Assert.Throws<PicklingException>(() => t.Dump());
        Assert.Contains("Scheduling", error.Message, StringComparison.Ordinal);
        Assert.Contains("not a TaskletFrame method", error.Message, StringComparison.Ordinal);
        t.Kill();
    });

    [Fact]
    public void Hard_tasklets_and_main_are_refused() => Isolated.Run(() =>
    {
        Assert.Throws<PicklingException>(() => Tasklet.Main.Dump());
        var hard = Tasklet.CreateHard(() => { });
        Assert.False(hard.Restorable);
        Assert.Throws<PicklingException>(() => hard.Dump());
    });

    private static async TaskletFrame HoldsLinqIterator(IEnumerable<int> items)
    {
        foreach (var item in items)
        {
            await Scheduler.ScheduleAsync();
        }
    }

    [Fact]
    public void A_LINQ_iterator_is_refused_with_the_frame_and_field_named() => Isolated.Run(() =>
    {
        var t = Tasklet.SpawnFrame(() => HoldsLinqIterator(Enumerable.Range(0, 10).Where(i => i % 2 == 0)));
        t.Run();
        var error = Assert.Throws<PicklingException>(() => t.Dump());
        Assert.Contains("live enumerator", error.Message, StringComparison.Ordinal);
        Assert.Contains("LINQ", error.Message, StringComparison.Ordinal);
        Assert.Contains("HoldsLinqIterator", error.Message, StringComparison.Ordinal);
        Assert.Contains("at field <>", error.Message, StringComparison.Ordinal); // the compiler's hoisted enumerator
        t.Kill();
    });

    private static byte[] SuspendedPickle()
    {
        var t = Tasklet.SpawnFrame(() => Scheduling(2));
        t.Run();
        var data = t.Dump();
        t.Kill();
        return data;
    }

    [Fact]
    public void Loading_refuses_an_assembly_the_caller_did_not_allow() => Isolated.Run(() =>
    {
        var data = SuspendedPickle();
        var error = Assert.Throws<UnpicklingException>(() => Tasklet.Load(data, new PickleOptions()));
        Assert.Contains("Stackless.Emu.Tests", error.Message, StringComparison.Ordinal);
        Assert.Contains("not allowed", error.Message, StringComparison.Ordinal);
    });

    private static byte[] Edit(byte[] data, string pattern, string replacement) =>
        Encoding.UTF8.GetBytes(Regex.Replace(Encoding.UTF8.GetString(data), pattern, replacement));

    [Fact]
    public void Loading_refuses_a_changed_state_machine_layout() => Isolated.Run(() =>
    {
        var data = Edit(SuspendedPickle(), "\"l\":\"[0-9a-f]+\"", "\"l\":\"000000000000000000000000\"");
        var error = Assert.Throws<UnpicklingException>(() => Tasklet.Load(data, Options()));
        Assert.Contains("layout", error.Message, StringComparison.Ordinal);
        Assert.Contains("Scheduling", error.Message, StringComparison.Ordinal);
    });

    [Fact]
    public void Loading_refuses_another_build_unless_allowed() => Isolated.Run(() =>
    {
        var mvid = typeof(RestorableAndSafetyTests).Assembly.ManifestModule.ModuleVersionId.ToString();
        var data = Edit(SuspendedPickle(), Regex.Escape(mvid), Guid.Empty.ToString());
        var error = Assert.Throws<UnpicklingException>(() => Tasklet.Load(data, Options()));
        Assert.Contains("another build", error.Message, StringComparison.Ordinal);

        var options = Options();
        options.AllowOtherBuilds = true;
        var copy = Tasklet.Load(data, options);
        copy.Insert();
        Scheduler.Run();
        Assert.False(copy.Alive);
    });

    [Fact]
    public void Loading_never_instantiates_a_type_named_only_by_the_data() => Isolated.Run(() =>
    {
        // A value in an object field whose type the data names: System.IO.FileInfo is not on the safe list.
        var t = Tasklet.SpawnFrame(() => HoldsObject(new Uri("http://example.org/")));
        t.Run();
        var data = Edit(t.Dump(), "\"n\":\"System.Uri\"", "\"n\":\"System.IO.FileInfo\"");
        t.Kill();
        var error = Assert.Throws<UnpicklingException>(() => Tasklet.Load(data, Options()));
        Assert.Contains("System.IO.FileInfo", error.Message, StringComparison.Ordinal);
        Assert.Contains("not allowed", error.Message, StringComparison.Ordinal);
    });

    private static async TaskletFrame HoldsObject(object value)
    {
        await Scheduler.ScheduleAsync();
        GC.KeepAlive(value);
    }

    [Fact]
    public void Garbage_is_refused_clearly() => Isolated.Run(() =>
    {
        Assert.Throws<UnpicklingException>(() => Tasklet.Load("not json"u8.ToArray(), Options()));
        Assert.Throws<UnpicklingException>(() => Tasklet.Load("{\"format\":\"other\"}"u8.ToArray(), Options()));
    });
}
