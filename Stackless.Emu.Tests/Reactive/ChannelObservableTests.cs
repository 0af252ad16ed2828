using System.Reactive.Linq;
using Moq;
using Stackless.Emu.Reactive;
using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Reactive;

/// <summary>channel.ToObservable(): a receiving tasklet pushes what the channel delivers.</summary>
public class ChannelObservableTests
{
    /// <summary>Records notifications, with the tasklet each came from.</summary>
    private sealed class Recorder<T> : IObserver<T>
    {
        public List<string> Events { get; } = [];

        public List<Tasklet> Callers { get; } = [];

        public Exception? Error { get; private set; }

        public void OnNext(T value) => Record("next " + value);

        public void OnError(Exception error)
        {
            Error = error;
            Record("error " + error.GetType().Name);
        }

        public void OnCompleted() => Record("completed");

        private void Record(string what)
        {
            Events.Add(what);
            Callers.Add(Tasklet.Current);
        }
    }

    [Fact]
    public void Values_are_pushed_in_order_by_a_tasklet_and_completion_ends_the_sequence() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var recorder = new Recorder<int>();
        using var subscription = channel.ToObservable().Subscribe(recorder);
        Tasklet.Spawn(async () =>
        {
            for (var i = 1; i <= 3; i++)
            {
                await channel.SendAsync(i);
            }

            channel.Complete();
        });
        Scheduler.Run();

        Assert.Equal(["next 1", "next 2", "next 3", "completed"], recorder.Events);
        var receiver = Assert.Single(recorder.Callers.Distinct());
        Assert.False(receiver.IsMain);
        Assert.Equal(Environment.CurrentManagedThreadId, receiver.ThreadId);
        Assert.False(receiver.Alive);
    });

    [Fact]
    public void An_exception_sent_on_the_channel_becomes_OnError() => Isolated.Run(() =>
    {
        var channel = new Channel<string>();
        var recorder = new Recorder<string>();
        var error = new InvalidDataException("corrupt record");
        using var subscription = channel.ToObservable().Subscribe(recorder);
        Tasklet.Spawn(async () =>
        {
            await channel.SendAsync("a");
            await channel.SendThrowAsync(error);
        });
        Scheduler.Run();

        Assert.Equal(["next a", "error InvalidDataException"], recorder.Events);
        Assert.Same(error, recorder.Error);
    });

    [Fact]
    public void Disposing_the_subscription_kills_the_receiving_tasklet() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var recorder = new Recorder<int>();
        var subscription = channel.ToObservable().Subscribe(recorder);
        Scheduler.Run();
        Assert.Equal(-1, channel.Balance); // the receiver waits

        subscription.Dispose();
        Scheduler.Run();
        Assert.Equal(0, channel.Balance);
        Assert.Empty(recorder.Events); // a disposed subscription is not told anything
        Assert.Single(Scheduler.AliveTasklets()); // main only
    });

    [Fact]
    public void An_operator_that_unsubscribes_inside_OnNext_stops_the_receiver_after_it() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var received = new List<int>();
        var completed = false;
        using var subscription = channel.ToObservable().Take(2).Subscribe(received.Add, () => completed = true);
        var sender = Tasklet.Spawn(async () =>
        {
            for (var i = 0; i < 5; i++)
            {
                await channel.SendAsync(i);
            }
        });
        Scheduler.Run();

        Assert.Equal([0, 1], received);
        Assert.True(completed);
        Assert.Equal(1, channel.Balance); // the third value finds nobody: the receiver has stopped
        sender.Kill();
    });

    [Fact]
    public void With_a_TaskletScheduler_the_receiver_runs_on_that_schedulers_thread() => Isolated.Run(() =>
    {
        using var worker = new SchedulerThread("observable");
        var channel = new Channel<int>();
        var scheduler = new TaskletScheduler(worker.SynchronizationContext);
        var threads = new List<int>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = channel.ToObservable(scheduler).Subscribe(
            _ => threads.Add(Environment.CurrentManagedThreadId),
            done.SetResult);
        for (var i = 0; i < 3; i++)
        {
            channel.Send(i); // main waits for the receiver on the worker thread
        }

        channel.Complete();
        done.Task.GetAwaiter().GetResult();
        worker.Join();
        Assert.Equal([worker.ThreadId, worker.ThreadId, worker.ThreadId], threads);
    });

    [Fact]
    public void A_stream_read_by_a_tasklet_becomes_an_observable_ending_with_the_streams_failure() => Isolated.Run(() =>
    {
        // The stream serves two chunks, then fails: a fake stream is what Moq is for.
        var reads = 0;
        var stream = new Mock<Stream>();
        stream.Setup(s => s.ReadAsync(It.IsAny<Memory<byte>>(), It.IsAny<CancellationToken>()))
            .Returns((Memory<byte> buffer, CancellationToken _) =>
            {
                if (++reads > 2)
                {
                    return ValueTask.FromException<int>(new IOException("connection reset"));
                }

                buffer.Span[..3].Fill((byte)('a' + reads - 1));
                return new ValueTask<int>(3);
            });

        var chunks = new Channel<string>();
        Tasklet.Spawn(async () =>
        {
            var buffer = new byte[16];
            try
            {
                while (true)
                {
                    var n = await stream.Object.ReadAsync(buffer);
                    await chunks.SendAsync(System.Text.Encoding.ASCII.GetString(buffer, 0, n));
                }
            }
            catch (IOException ex)
            {
                await chunks.SendThrowAsync(ex);
            }
        });
        var recorder = new Recorder<string>();
        using var subscription = chunks.ToObservable().Subscribe(recorder);
        Scheduler.Run();

        Assert.Equal(["next aaa", "next bbb", "error IOException"], recorder.Events);
        Assert.Equal("connection reset", recorder.Error!.Message);
        Assert.Equal(3, reads);
    });
}
