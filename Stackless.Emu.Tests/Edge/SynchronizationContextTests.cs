using Nito.AsyncEx;
using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Edge;

/// <summary>The scheduler's public synchronization context: posted work runs on the scheduler thread as tasklets.</summary>
public class SynchronizationContextTests
{
    [Fact]
    public void Work_posted_from_another_thread_runs_as_a_tasklet_and_counts_as_pending() => Isolated.Run(() =>
    {
        var context = Scheduler.SynchronizationContext;
        var thread = Environment.CurrentManagedThreadId;
        var channel = new Channel<string>();
        int? ranOn = null;
        Tasklet? ranAs = null;
        Tasklet.Spawn(async () => Assert.Equal("posted", await channel.ReceiveAsync()));
        var poster = new Thread(() => context.Post(
            async _ =>
            {
                ranOn = Environment.CurrentManagedThreadId;
                ranAs = Tasklet.Current;
                await channel.SendAsync("posted"); // posted work may use the asynchronous forms
            },
            null));
        Scheduler.Schedule();
        poster.Start();
        poster.Join();
        Scheduler.Run(); // the post is pending work: Run() waits for it
        Assert.Equal(thread, ranOn);
        Assert.Equal(TaskletKind.Soft, ranAs!.Kind);
        Assert.Equal("posted work", ranAs.Name);
        Assert.False(ranAs.Alive);
    });

    [Fact]
    public void Send_runs_inline_on_the_scheduler_thread_and_waits_from_another() => Isolated.Run(() =>
    {
        var context = Scheduler.SynchronizationContext;
        var inline = false;
        context.Send(_ => inline = true, null);
        Assert.True(inline);

        var remote = 0;
        var error = (Exception?)null;
        var sender = new Thread(() =>
        {
            context.Send(_ => remote = Environment.CurrentManagedThreadId, null);
            error = Record.Exception(() => context.Send(_ => throw new FormatException("from the callback"), null));
        });
        sender.Start();
        var main = Tasklet.Spawn(async () =>
        {
            while (sender.IsAlive)
            {
                await Task.Delay(1);
            }
        });
        Scheduler.Run();
        sender.Join();
        Assert.Equal(Environment.CurrentManagedThreadId, remote);
        Assert.IsType<FormatException>(error);
        Assert.False(main.Alive);
    });

    [Fact]
    public void A_library_capturing_Current_in_a_tasklet_posts_back_to_that_tasklet() => Isolated.Run(() =>
    {
        var resumedAs = (Tasklet?)null;
        var tasklet = Tasklet.Spawn(async () =>
        {
            var captured = SynchronizationContext.Current!;
            Assert.IsAssignableFrom<SchedulerSynchronizationContext>(captured);
            var done = new TaskCompletionSource();
#pragma warning disable VSTHRD001 // The point: a library that posts to the context it captured.
            ThreadPool.QueueUserWorkItem(_ => captured.Post(_ => done.SetResult(), null));
#pragma warning restore VSTHRD001
            await done.Task;
            resumedAs = Tasklet.Current;
        });
        Scheduler.Run();
        Assert.Same(tasklet, resumedAs);
    });

    [Fact]
    public void An_async_void_method_started_on_the_context_keeps_Run_waiting_until_it_completes() => Isolated.Run(() =>
    {
        var finished = false;
        Tasklet.Spawn(() =>
        {
            Fire();
            return Task.CompletedTask;
        });
        Scheduler.Run();
        Assert.True(finished);

#pragma warning disable VSTHRD100 // The point: an async void method started on the context.
        async void Fire()
#pragma warning restore VSTHRD100
        {
            await Task.Delay(5).ConfigureAwait(true);
            finished = true;
        }
    });

    [Fact]
    public void SchedulerThread_exposes_its_context_and_posts_run_there() => Isolated.Run(() =>
    {
        using var worker = new SchedulerThread("worker");
        var ranOn = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        worker.SynchronizationContext.Post(_ => ranOn.SetResult(Environment.CurrentManagedThreadId), null);
        Assert.Equal(worker.ThreadId, Scheduler.WaitFor(ranOn.Task));
        Assert.Equal(worker.ThreadId, worker.SynchronizationContext.ThreadId);
    });

    [Fact]
    public void Code_under_a_foreign_context_on_a_thread_of_its_own_awaits_a_channel_without_blocking_the_thread() => Isolated.Run(() =>
    {
        // Not a thread-pool thread, no tasklets: the thread's own loop (AsyncContext here) must keep running while the
        // receive waits, so the operation completes asynchronously instead of driving a scheduler on that thread.
        var channel = new Channel<int>();
        var called = new ManualResetEventSlim();
        var received = 0;
        Exception? error = null;
        var consumer = new Thread(() => error = Record.Exception(() => AsyncContext.Run(async () =>
        {
            var receive = channel.ReceiveAsync();
            called.Set();
            received = await receive;
        })));
        consumer.Start();
        Assert.True(SpinWait.SpinUntil(() => called.IsSet || !consumer.IsAlive, Isolated.Timeout));
        Assert.True(called.IsSet, $"the receive blocked or failed on its thread: {error}");
        Assert.True(SpinWait.SpinUntil(() => channel.Balance == -1, Isolated.Timeout));
        channel.Send(7);
        consumer.Join();
        Assert.Null(error);
        Assert.Equal(7, received);
    });
}
