using Microsoft.Extensions.Time.Testing;
using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Edge;

/// <summary>A CancellationToken wherever a wait can be long; no post to a stopping SchedulerThread is lost.</summary>
public class CancellationEverywhereTests
{
    [Fact]
    public void WithCancellation_ends_an_await_foreach_over_a_channel() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        using var cancel = new CancellationTokenSource();
        var received = new List<int>();
        Exception? error = null;
        Tasklet.Spawn(async () =>
        {
            error = await Record.ExceptionAsync(async () =>
            {
                await foreach (var value in channel.WithCancellation(cancel.Token))
                {
                    received.Add(value);
                }
            });
        });
        Tasklet.Spawn(async () =>
        {
            await channel.SendAsync(1);
            await channel.SendAsync(2);
            cancel.Cancel();
        });
        Scheduler.Run();
        Assert.Equal([1, 2], received);
        Assert.IsAssignableFrom<OperationCanceledException>(error);
        Assert.Equal(0, channel.Balance);
    });

    [Fact]
    public void SendSequenceAsync_takes_a_token_and_is_a_restorable_frame() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        using var cancel = new CancellationTokenSource();
        Exception? error = null;
        var sender = Tasklet.SpawnFrame(() => SendAll(channel, ex => error = ex, cancel.Token));
        Assert.Equal(1, channel.Receive());
        Scheduler.Schedule();
        Assert.True(sender.Restorable); // suspended inside SendSequenceAsync, a TaskletFrame method
        cancel.Cancel();
        Scheduler.Run();
        Assert.IsAssignableFrom<OperationCanceledException>(error);
    });

    [Fact]
    public void Timed_forms_exist_in_both_shapes_and_raise_TimeoutException() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var time = new FakeTimeProvider();
        Exception? asyncError = null;
        Tasklet.Spawn(async () => asyncError = await Record.ExceptionAsync(async () => await channel.ReceiveAsync(TimeSpan.FromSeconds(1), time)));
        Scheduler.Schedule();
        time.Advance(TimeSpan.FromSeconds(1));
        Scheduler.Run();
        Assert.IsType<TimeoutException>(asyncError);

        var advancer = new Thread(() =>
        {
            SpinWait.SpinUntil(() => channel.Balance == 1);
            time.Advance(TimeSpan.FromSeconds(2));
        });
        advancer.Start();
        Assert.Throws<TimeoutException>(() => channel.Send(5, TimeSpan.FromSeconds(2), time));
        advancer.Join();
        Assert.Equal(0, channel.Balance);
    });

    [Fact]
    public void SchedulerThread_JoinAsync_and_DisposeAsync_complete_without_blocking() => Isolated.Run(() =>
    {
        var worker = new SchedulerThread("joined");
        var ran = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        worker.Post(() =>
        {
            ran.SetResult();
            return Task.CompletedTask;
        });
        Scheduler.WaitFor(worker.JoinAsync());
        Assert.True(ran.Task.IsCompleted);

        var failing = new SchedulerThread("failing");
        failing.Post(() => throw new FormatException("tasklet error"));
        var join = failing.JoinAsync();
        Assert.Throws<FormatException>(() => Scheduler.WaitFor(join));

        var disposed = new SchedulerThread("disposed");
        Scheduler.WaitFor(disposed.DisposeAsync().AsTask());
        Assert.Throws<ObjectDisposedException>(() => disposed.Post(() => Task.CompletedTask));
    });

    [Fact]
    public void No_post_racing_a_stop_is_lost_every_accepted_one_runs() => Isolated.Run(() =>
    {
        var rounds = Environment.GetEnvironmentVariable("STACKLESS_FULL_STRESS") == "1" ? 2_000 : 100;
        for (var round = 0; round < rounds; round++)
        {
            var worker = new SchedulerThread("raced");
            var accepted = 0;
            var ran = 0;
            var poster = new Thread(() =>
            {
                while (true)
                {
                    try
                    {
                        worker.Post(() =>
                        {
                            Interlocked.Increment(ref ran);
                            return Task.CompletedTask;
                        });
                        Interlocked.Increment(ref accepted);
                    }
                    catch (ObjectDisposedException)
                    {
                        return;
                    }
                }
            });
            poster.Start();
            SpinWait.SpinUntil(() => Volatile.Read(ref accepted) > 10);
            worker.Join();
            poster.Join();
            Assert.Equal(Volatile.Read(ref accepted), Volatile.Read(ref ran));
        }
    });

    private static async TaskletFrame SendAll(Channel<int> channel, Action<Exception> failed, CancellationToken token)
    {
        try
        {
            await channel.SendSequenceAsync([1, 2, 3], token);
        }
        catch (Exception ex)
        {
            failed(ex);
        }
    }
}

/// <summary>Tasklets of a thread that has ended: their thread id is -1, a kill ends them, and channels let them go.</summary>
public class EndedThreadTests
{
    [Fact]
    public void A_receiver_of_an_ended_thread_is_ended_by_a_kill_and_no_value_goes_to_it() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        Tasklet? receiver = null;
        var thread = new Thread(() =>
        {
            receiver = Tasklet.Spawn(async () => await channel.ReceiveAsync());
            Scheduler.Schedule(); // it waits in the channel; then the thread ends without running it again
        });
        thread.Start();
        thread.Join();
        Assert.Equal(-1, channel.Balance);
        Assert.Equal(-1, receiver!.ThreadId);
        receiver.Kill();
        Assert.False(receiver.Alive);
        Assert.Equal(0, channel.Balance);

        // The next send finds no receiver (not a dead one): it waits for a live one, which gets the value.
        var received = 0;
        Tasklet.Spawn(async () => received = await channel.ReceiveAsync());
        channel.Send(5);
        Scheduler.Run();
        Assert.Equal(5, received);
        Assert.Equal(0, channel.Balance);
    });

    [Fact]
    public void A_send_after_the_kill_of_a_receiver_of_an_ended_thread_does_not_vanish() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        Tasklet? receiver = null;
        var thread = new Thread(() =>
        {
            receiver = Tasklet.Spawn(async () => await channel.ReceiveAsync());
            Scheduler.Schedule();
        });
        thread.Start();
        thread.Join();
        receiver!.Kill();

        // No receiver is left: a send from a thread without tasklets waits, and the value goes to the next receiver.
        var sent = new Thread(() => channel.Send(5)) { IsBackground = true };
        sent.Start();
        Assert.True(SpinWait.SpinUntil(() => channel.Balance == 1, TimeSpan.FromMinutes(2)), "the send did not wait for a receiver");
        Assert.True(channel.Receive() == 5);
        sent.Join();
        Assert.Equal(0, channel.Balance);
    });

    [Fact]
    public void A_send_skips_a_waiter_of_an_ended_thread() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var thread = new Thread(() =>
        {
            Tasklet.Spawn(async () => await channel.ReceiveAsync());
            Scheduler.Schedule();
        });
        thread.Start();
        thread.Join();
        var live = 0;
        Tasklet.Spawn(async () => live = await channel.ReceiveAsync());
        Assert.Equal(-1, channel.Balance);
        Scheduler.Schedule();
        Assert.Equal(-1, channel.Balance); // the waiter of the ended thread was let go when the live one came
        channel.Send(9); // goes to the live receiver, never into the dead one's fields
        Scheduler.Run();
        Assert.Equal(9, live);
        Assert.Equal(0, channel.Balance);
    });

    [Fact]
    public void Throwing_anything_but_a_kill_into_a_tasklet_of_an_ended_thread_says_it_has_no_thread() => Isolated.Run(() =>
    {
        Tasklet? orphan = null;
        var thread = new Thread(() => orphan = new Tasklet(() => Task.CompletedTask).Setup());
        thread.Start();
        thread.Join();
        var error = Assert.Throws<InvalidOperationException>(() => orphan!.Throw(new FormatException()));
        Assert.StartsWith("tasklet has no thread", error.Message, StringComparison.Ordinal);
    });
}
