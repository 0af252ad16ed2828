using System.Reflection;
using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Conformance.TestSuite;

/// <summary>Shared helpers for the port of stackless-dev/stackless-testsuite (v3_1).</summary>
internal static class TestSuiteSupport
{
    public const string ModuleContent = "stackless_testsuite/v3_1/test_content.py";
    public const string ModuleFunctionality = "stackless_testsuite/v3_1/test_functionality.py";
    public const string TaskletContent = "stackless_testsuite/v3_1/tasklet/test_content.py";
    public const string TaskletFunctionality = "stackless_testsuite/v3_1/tasklet/test_functionality.py";
    public const string TaskletThread = "stackless_testsuite/v3_1/tasklet/test_thread.py";
    public const string ChannelContent = "stackless_testsuite/v3_1/channel/test_content.py";
    public const string ChannelFunctionality = "stackless_testsuite/v3_1/channel/test_functionality.py";
    public const string ChannelChannel = "stackless_testsuite/v3_1/channel/test_channel.py";
    public const string Watchdog = "stackless_testsuite/v3_1/test_watchdog.py";


    /// <summary>A body that does nothing (the test suite's <c>nop</c>).</summary>
    public static Task Nop() => Task.CompletedTask;

    /// <summary>
    /// The analogue of <c>stackless.tasklet().bind(func, ())</c>: an alive tasklet that is not scheduled. C# has no
    /// bind-with-arguments, so the tasklet is set up and removed again, which reaches the same paused state.
    /// </summary>
    public static Tasklet Paused(Func<Task> body) => new Tasklet(body).Setup().Remove();

    /// <summary>Checks every state flag of the test suite's <c>check_tasklet_flags</c> (restorable has a C#-specific meaning and is not compared).</summary>
    public static void CheckFlags(
        Tasklet t,
        bool alive = false,
        bool paused = false,
        bool blocked = false,
        bool scheduled = false,
        bool atomic = false,
        bool blockTrap = false,
        bool ignoreNesting = false,
        bool isCurrent = false,
        bool isMain = false)
    {
        Assert.True(alive == t.Alive, $"alive: expected {alive}, {t}");
        Assert.True(paused == t.Paused, $"paused: expected {paused}, {t}");
        Assert.True(blocked == t.Blocked, $"blocked: expected {blocked}, {t}");
        Assert.True(scheduled == t.Scheduled, $"scheduled: expected {scheduled}, {t}");
        Assert.True(atomic == t.Atomic, $"atomic: expected {atomic}, {t}");
        Assert.True(blockTrap == t.BlockTrap, $"block_trap: expected {blockTrap}, {t}");
        Assert.True(ignoreNesting == t.IgnoreNesting, $"ignore_nesting: expected {ignoreNesting}, {t}");
        Assert.True(isCurrent == t.IsCurrent, $"is_current: expected {isCurrent}, {t}");
        Assert.True(isMain == t.IsMain, $"is_main: expected {isMain}, {t}");
    }

    public static void AssertNotAlive(Tasklet t) => CheckFlags(t);

    public static void AssertBound(Tasklet t) => CheckFlags(t);

    public static void AssertScheduled(Tasklet t, bool isMain = false) => CheckFlags(t, alive: true, scheduled: true, isMain: isMain);

    public static void AssertPaused(Tasklet t, bool isMain = false) => CheckFlags(t, alive: true, paused: true, isMain: isMain);

    public static void AssertCurrent(Tasklet t) => CheckFlags(t, alive: true, scheduled: true, isCurrent: true);

    public static void AssertBlocked(Tasklet t) => CheckFlags(t, alive: true, scheduled: true, blocked: true);

    /// <summary>A readable property <paramref name="name"/> of type <paramref name="type"/> (the analogue of a Python getset descriptor).</summary>
    public static PropertyInfo AssertProperty(Type owner, string name, Type type)
    {
        var property = owner.GetProperty(name, BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static);
        Assert.NotNull(property);
        Assert.True(property.CanRead, $"{owner.Name}.{name} is not readable");
        Assert.Equal(type, property.PropertyType);
        return property;
    }

    /// <summary>A public method <paramref name="name"/> (the analogue of a Python routine on the class).</summary>
    public static void AssertMethod(Type owner, string name)
    {
        var methods = owner.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static).Where(m => m.Name == name);
        Assert.NotEmpty(methods);
    }
}

/// <summary>The test suite's <c>TestError</c>.</summary>
public class TestError : Exception
{
    public TestError() { }

    public TestError(string message) : base(message) { }

    public TestError(string message, Exception inner) : base(message, inner) { }
}

/// <summary>
/// A thread that runs <paramref name="body"/> on its own scheduler and then lingers until <see cref="Join"/>
/// (the test suite's LingeringThread; with <c>scheduling</c>, its SchedulingThread that keeps calling run()).
/// </summary>
internal sealed class RemoteThread : IDisposable
{
    private readonly Thread _thread;
    private readonly ManualResetEventSlim _ready = new();
    private readonly ManualResetEventSlim _shutdown = new();
    private Exception? _error;

    public RemoteThread(Func<Tasklet> body, bool scheduling = false)
    {
        _thread = new Thread(() =>
        {
            try
            {
                Tasklet = body();
                Id = Environment.CurrentManagedThreadId;
            }
            catch (Exception ex)
            {
                _error = ex;
            }

            // Python's time.sleep and Event.wait release the GIL: other threads change this thread's tasklets meanwhile.
            if (scheduling)
            {
                _ready.Set();
                while (!_shutdown.IsSet)
                {
                    Scheduler.Run();
                    Scheduler.ParkThread(() => _shutdown.Wait(1));
                }
            }
            else
            {
                Scheduler.ParkThread(() =>
                {
                    _ready.Set();
                    _shutdown.Wait();
                });
            }

            // The thread ends: Stackless kills its tasklets with C state (hard tasklets); soft ones simply stop.
            foreach (var t in Scheduler.AliveTasklets().Where(t => t.Kind == TaskletKind.Hard))
            {
                try
                {
                    t.Kill();
                }
                catch (Exception)
                {
                    // best effort
                }
            }
        })
        { IsBackground = true };
        _thread.Start();
        _ready.Wait();
        if (_error is not null)
        {
            throw new InvalidOperationException("remote thread body failed", _error);
        }
    }

    public Tasklet Tasklet { get; private set; } = null!;

    public int Id { get; private set; }

    public void Join()
    {
        _shutdown.Set();
        _thread.Join(Stress.HangGuard);
    }

    public void Dispose()
    {
        Join();
        _ready.Dispose();
        _shutdown.Dispose();
    }
}
