using System.Collections.Concurrent;

namespace Stackless.Emu.Tests.Conformance.Unittests;

/// <summary>
/// Ports of Stackless/unittests/test_miscell.py, TestTaskletContext (an AsTaskletTestCase: each body runs as a tasklet).
/// The mapping: a <c>contextvars.ContextVar</c> is an <see cref="AsyncLocal{T}"/>, a <c>contextvars.Context</c> an
/// <see cref="ExecutionContext"/>. A tasklet runs under the execution context captured when it is set up (Python:
/// bound) or loaded, which is what the tests of <c>__init__</c>/<c>bind</c>/<c>__setstate__</c> check, through the values
/// the tasklet sees. <c>context_id</c>, <c>set_context</c> and <c>context_run</c> map to
/// <see cref="Tasklet.ExecutionContext"/> (compared by reference), <see cref="Tasklet.SetExecutionContext"/> and
/// <see cref="Tasklet.ContextRun{T}"/>.
/// </summary>
public class TaskletContextTests
{
    private const string File = "Stackless/unittests/test_miscell.py";

    /// <summary>The test's <c>contextvars.ContextVar('TestTaskletContext', default='unset')</c>.</summary>
    private static readonly AsyncLocal<object?> Cvar = new();

    private static object CvarGet() => Cvar.Value ?? "unset";

    /// <summary>Python's <c>contextvars.Context()</c> with <c>ctx.run(cvar.set, value)</c> applied: a context holding <paramref name="value"/>.</summary>
    private static ExecutionContext ContextWith(object? value)
    {
        ExecutionContext? made = null;
        ExecutionContext.Run(
            ExecutionContext.Capture()!,
            _ =>
            {
                Cvar.Value = value;
                made = ExecutionContext.Capture();
            },
            null);
        return made!;
    }

    /// <summary>What each tasklet saw of <see cref="Cvar"/>, by tasklet (a loaded copy is a tasklet of its own).</summary>
    private static readonly ConcurrentDictionary<Tasklet, object> Seen = new();

    private static Exception? FromOtherThread(Action action)
    {
        Exception? caught = null;
        var thread = new Thread(() =>
        {
            try
            {
                action();
            }
            catch (InvalidOperationException e)
            {
                caught = e;
            }
        })
        { Name = "other thread", IsBackground = true };
        thread.Start();
        Assert.True(thread.Join(RemoteThreads.Timeout), "the other thread did not end");
        return caught;
    }

    [Fact]
    [StacklessTest(File, "TestTaskletContext.test_context_init_nonmain", "tasklet.context", "tasklet.bind", "tasklet.setup")]
    public void Test_context_init_nonmain() => RemoteThreads.AsTasklet(async () =>
    {
        var sentinel = new object();
        Cvar.Value = sentinel;
        Assert.Same(sentinel, Cvar.Value);

        object? seen = null;
        var t = new Tasklet(() =>
        {
            seen = CvarGet();
            return Task.CompletedTask;
        }).Setup();

        Assert.Same(sentinel, Cvar.Value); // the creator's context is unchanged
        await t.RunAsync();
        Assert.Same(sentinel, seen); // the tasklet ran in its creator's context
        Assert.Same(sentinel, Cvar.Value);
    });

    [Fact]
    [StacklessTest(File, "TestTaskletContext.test_context_init_main", "tasklet.context", "tasklet.bind", "tasklet.setup", "stackless.main")]
    public void Test_context_init_main() => RemoteThreads.AsTasklet(() =>
    {
        // Stackless binds a tasklet of this thread on the other thread; here a tasklet belongs to the thread that made
        // it, so the other thread's main makes and runs it.
        var sentinel = new object();
        object? seen = null;
        object? mainAfter = null;
        Exception? error = null;
        var other = new Thread(() =>
        {
            try
            {
                Cvar.Value = sentinel;
                Assert.Same(Tasklet.Main, Tasklet.Current);
                var t = Tasklet.Spawn(() =>
                {
                    seen = CvarGet();
                    return Task.CompletedTask;
                });
                Scheduler.Run();
                Assert.False(t.Alive);
                mainAfter = CvarGet();
            }
            catch (Exception e)
            {
                error = e;
            }
        })
        { Name = "other thread", IsBackground = true };
        other.Start();
        Assert.True(other.Join(RemoteThreads.Timeout));
        Assert.Null(error);
        Assert.Same(sentinel, seen);
        Assert.Same(sentinel, mainAfter);
        return Task.CompletedTask;
    });

    [Fact]
    [StacklessTest(File, "TestTaskletContext.test_context_init_null_main", "tasklet.context", "tasklet.bind", "tasklet.setup", "stackless.main")]
    public void Test_context_init_null_main() => RemoteThreads.AsTasklet(() =>
    {
        // A main tasklet that never set a context variable binds a tasklet: both share the (empty) context. The
        // other thread starts with no AsyncLocal values (thread start does not flow this tasklet's context: the
        // thread is started under SuppressFlow, like a thread entering the interpreter from C).
        Cvar.Value = new object();
        object? seen = null;
        object? mainSaw = null;
        Exception? error = null;
        Thread other;
        using (ExecutionContext.SuppressFlow())
        {
            other = new Thread(() =>
            {
                try
                {
                    Assert.Same(Tasklet.Main, Tasklet.Current);
                    mainSaw = CvarGet();
                    var t = Tasklet.Spawn(() =>
                    {
                        seen = CvarGet();
                        return Task.CompletedTask;
                    });
                    Scheduler.Run();
                    Assert.False(t.Alive);
                }
                catch (Exception e)
                {
                    error = e;
                }
            })
            { Name = "other thread", IsBackground = true };
            other.Start();
        }

        Assert.True(other.Join(RemoteThreads.Timeout));
        Assert.Null(error);
        Assert.Equal("unset", mainSaw);
        Assert.Equal("unset", seen);
        return Task.CompletedTask;
    });

    private static async TaskletFrame SetstateAliveTask()
    {
        await Scheduler.ScheduleRemoveAsync();
        Seen[Tasklet.Current] = CvarGet();
    }

    [Fact]
    [StacklessTest(File, "TestTaskletContext.test_context_setstate_alive", "tasklet.context", "tasklet.__reduce__", "tasklet.__reduce_ex__", "tasklet.__setstate__", "pickle.tasklet")]
    public void Test_context_setstate_alive() => RemoteThreads.AsTasklet(async () =>
    {
        // A half-run tasklet, pickled; loaded again (Python: __setstate__) while another context is current, the copy
        // runs in the loader's context.
        var original = Tasklet.SpawnFrame(SetstateAliveTask);
        await original.RunAsync();
        Assert.True(original.Paused);
        var state = original.Dump();
        original.Discard();

        var sentinel = new object();
        Cvar.Value = sentinel;
        Assert.Same(sentinel, Cvar.Value);

        var t = Tasklet.Load(state, new PickleOptions().AllowAssemblyOf<TaskletContextTests>());
        Assert.True(t.Alive);
        Assert.Same(sentinel, Cvar.Value);
        t.Insert();
        await t.RunAsync();
        Assert.False(t.Alive);
        Assert.Same(sentinel, Seen[t]);
        Seen.TryRemove(t, out _);
    });

    [Fact]
    [StacklessTest(File, "TestTaskletContext.test_contexct_id", "tasklet.context_id", "tasklet.context_run")]
    public void Test_contexct_id() => RemoteThreads.AsTasklet(() =>
    {
        var ct = Tasklet.Current;
        Cvar.Value = new object(); // make sure a context is active
        Assert.NotNull(ct.ExecutionContext);

        // no context: a tasklet that was never bound has none, it runs code in an empty context
        var t = new Tasklet();
        Assert.Equal("unset", t.ContextRun(CvarGet));

        // known context
        var ctx = ContextWith(null);
        Assert.NotSame(ctx, ct.ExecutionContext);
        Tasklet? current = null;
        ExecutionContext? inside = null;
        ExecutionContext.Run(ctx, _ =>
        {
            current = Tasklet.Current;
            inside = ct.ExecutionContext;
        }, null);
        Assert.Same(ct, current);
        Assert.Same(ctx, inside);
        return Task.CompletedTask;
    });

    [Fact]
    [StacklessTest(File, "TestTaskletContext.test_set_context_same_thread_not_current", "tasklet.set_context", "tasklet.context_id")]
    public void Test_set_context_same_thread_not_current() => RemoteThreads.AsTasklet(async () =>
    {
        var sentinel = new object();
        var ctx = ContextWith(sentinel);
        var started = false;
        Tasklet? t = null;
        t = new Tasklet(() =>
        {
            Assert.Same(ctx, t!.ExecutionContext);
            Assert.Same(sentinel, Cvar.Value);
            started = true;
            return Task.CompletedTask;
        }).Setup();

        t.SetExecutionContext(ctx);
        await t.RunAsync();
        Assert.True(started);
    });

    [Fact]
    [StacklessTest(File, "TestTaskletContext.test_set_context_same_thread_current", "tasklet.set_context", "tasklet.context_id")]
    public void Test_set_context_same_thread_current() => RemoteThreads.AsTasklet(() =>
    {
        var sentinel = new object();
        Cvar.Value = sentinel;
        Assert.Same(sentinel, Cvar.Value);
        Assert.NotNull(Tasklet.Current.ExecutionContext);

        var sentinel2 = new object();
        var ctx = ContextWith(sentinel2);
        Assert.NotSame(ctx, Tasklet.Current.ExecutionContext);

        Tasklet.Current.SetExecutionContext(ctx);
        Assert.Same(ctx, Tasklet.Current.ExecutionContext);
        Assert.Same(sentinel2, Cvar.Value);
        return Task.CompletedTask;
    });

    [Fact]
    [StacklessTest(File, "TestTaskletContext.test_set_context_other_thread_paused", "tasklet.set_context", "tasklet.context_id", "tasklet.insert")]
    public void Test_set_context_other_thread_paused() => RemoteThreads.AsTasklet(async () =>
    {
        var sentinel = new object();
        var ctx = ContextWith(sentinel);
        var started = false;
        Tasklet? t = null;
        t = new Tasklet(() =>
        {
            Assert.Same(ctx, t!.ExecutionContext);
            started = true;
            return Task.CompletedTask;
        }); // bound, paused

        // A paused tasklet's context may be set from another thread.
        Assert.Null(FromOtherThread(() => t.SetExecutionContext(ctx)));

        t.Setup();
        await t.RunAsync();
        Assert.True(started);
    });

    [Fact]
    [StacklessTest(File, "TestTaskletContext.test_set_context_other_thread_scheduled", "tasklet.set_context", "tasklet.context_id")]
    public void Test_set_context_other_thread_scheduled() => RemoteThreads.AsTasklet(async () =>
    {
        var sentinel = new object();
        var ctx = ContextWith(sentinel);
        var started = false;
        Tasklet? t = null;
        t = new Tasklet(() =>
        {
            Assert.Same(ctx, t!.ExecutionContext);
            started = true;
            return Task.CompletedTask;
        }).Setup(); // scheduled
        t.SetExecutionContext(ctx);

        var error = FromOtherThread(() => t.SetExecutionContext(ContextWith(null)));
        Assert.IsAssignableFrom<InvalidOperationException>(error);
        Assert.Contains("thread", error!.Message, StringComparison.Ordinal);

        await t.RunAsync();
        Assert.True(started);
    });

    [Fact]
    [StacklessTest(File, "TestTaskletContext.test_set_context_other_thread_current", "tasklet.set_context", "tasklet.context_id")]
    public void Test_set_context_other_thread_current() => RemoteThreads.AsTasklet(() =>
    {
        var sentinel = new object();
        Cvar.Value = sentinel;
        Assert.Same(sentinel, Cvar.Value);
        var cid = Tasklet.Current.ExecutionContext;

        var t = Tasklet.Current;
        var error = FromOtherThread(() => t.SetExecutionContext(ContextWith(null)));
        Assert.IsAssignableFrom<InvalidOperationException>(error);
        Assert.Contains("thread", error!.Message, StringComparison.Ordinal);
        Assert.Same(cid, Tasklet.Current.ExecutionContext);
        return Task.CompletedTask;
    });

    [Fact]
    [StacklessTest(File, "TestTaskletContext.test_set_context_other_thread_current_entered", "tasklet.set_context", "tasklet.context_id")]
    public void Test_set_context_other_thread_current_entered() => RemoteThreads.AsTasklet(() =>
    {
        var t = Tasklet.Current;
        var ctx = ContextWith(new object());
        Exception? error = null;
        ExecutionContext.Run(ctx, _ =>
        {
            Assert.Same(ctx, Tasklet.Current.ExecutionContext);
            error = FromOtherThread(() => t.SetExecutionContext(ContextWith(null)));
            Assert.Same(ctx, Tasklet.Current.ExecutionContext);
        }, null);
        Assert.IsAssignableFrom<InvalidOperationException>(error);
        Assert.Contains("thread", error!.Message, StringComparison.Ordinal);
        return Task.CompletedTask;
    });

    [Fact]
    [StacklessTest(File, "TestTaskletContext.test_context_setstate_notalive", "tasklet.context_run", "tasklet.__reduce__", "tasklet.__setstate__")]
    public void Test_context_setstate_notalive() => RemoteThreads.AsTasklet(() =>
    {
        // The state of a new tasklet (no frames); loading it does not make it alive, so it gets no context.
        var state = new Tasklet().Dump();
        var sentinel = new object();
        Cvar.Value = sentinel;
        var cid = Tasklet.Current.ExecutionContext;

        var t = Tasklet.Load(state, new PickleOptions().AllowAssemblyOf<TaskletContextTests>());
        Assert.False(t.Alive);
        Assert.Same(cid, Tasklet.Current.ExecutionContext);
        Assert.Equal("unset", t.ContextRun(CvarGet));
        return Task.CompletedTask;
    });

    [Fact]
    [StacklessTest(File, "TestTaskletContext.test_context_run_no_context", "tasklet.context_run", "tasklet.context_id")]
    public void Test_context_run_no_context() => RemoteThreads.AsTasklet(() =>
    {
        var sentinel = new object();
        Cvar.Value = sentinel;
        var cid0 = Tasklet.Current.ExecutionContext;

        var t = new Tasklet();
        var cid = t.ContextRun(() =>
        {
            Assert.Equal("unset", CvarGet());
            return Tasklet.Current.ExecutionContext;
        });

        Assert.Same(cid0, Tasklet.Current.ExecutionContext);
        Assert.NotNull(cid);
        Assert.NotSame(cid0, cid);
        Assert.Same(cid, t.ExecutionContext);
        return Task.CompletedTask;
    });

    [Fact]
    [StacklessTest(File, "TestTaskletContext.test_context_run", "tasklet.context_run", "tasklet.set_context", "tasklet.context_id")]
    public void Test_context_run() => RemoteThreads.AsTasklet(() =>
    {
        var sentinel = new object();
        Cvar.Value = sentinel;
        var cid0 = Tasklet.Current.ExecutionContext;

        var t = new Tasklet();
        var ctx = ContextWith(null);
        t.SetExecutionContext(ctx);
        var cid = t.ContextRun(() =>
        {
            Assert.Equal("unset", CvarGet());
            return Tasklet.Current.ExecutionContext;
        });

        Assert.Same(cid0, Tasklet.Current.ExecutionContext);
        Assert.NotNull(cid);
        Assert.NotSame(cid0, cid);
        Assert.Same(ctx, cid);
        return Task.CompletedTask;
    });
}
