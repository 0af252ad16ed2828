using System.Reactive.Linq;
using System.Reactive.Subjects;
using Stackless.Emu.Reactive;
using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Reactive;

/// <summary>observable.SubscribeTo(channel) / ToChannel(): notifications become channel operations, with rendezvous backpressure.</summary>
public class ObservableChannelTests
{
    [Fact]
    public void OnNext_waits_until_a_tasklet_has_taken_the_value() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var subject = new Subject<int>();
        using var subscription = subject.SubscribeTo(channel);
        var returned = 0;
        var producer = Task.Run(() =>
        {
            for (var i = 1; i <= 3; i++)
            {
                subject.OnNext(i);
                Volatile.Write(ref returned, i);
            }

            subject.OnCompleted();
        });

        // The producer waits in the channel with its first value (its thread is now in main's deadlock group). Main takes
        // it, then sees the producer waiting with the second: OnNext(2) cannot have returned.
        Assert.True(SpinWait.SpinUntil(() => channel.Balance == 1, Isolated.Timeout));
        Assert.Equal(0, Volatile.Read(ref returned));
        Assert.Equal(1, channel.Receive());
        Assert.True(SpinWait.SpinUntil(() => channel.Balance == 1, Isolated.Timeout));
        Assert.Equal(1, Volatile.Read(ref returned));

        var rest = new List<int>();
        foreach (var value in channel)
        {
            rest.Add(value);
        }

        producer.GetAwaiter().GetResult();
        Assert.Equal([2, 3], rest);
        Assert.Equal(3, returned);
        Assert.True(channel.IsCompleted);
    });

    [Fact]
    public void OnCompleted_ends_the_iteration_of_every_receiver() => Isolated.Run(() =>
    {
        var channel = new Channel<string>();
        var subject = new Subject<string>();
        using var subscription = subject.SubscribeTo(channel);
        var received = new List<string>();
        var ended = new List<string>();
        Tasklet.Spawn(async () =>
        {
            await foreach (var value in channel)
            {
                received.Add("soft " + value);
            }

            ended.Add("soft");
        });
        Tasklet.SpawnHard(() =>
        {
            foreach (var value in channel)
            {
                received.Add("hard " + value);
            }

            ended.Add("hard");
        });
        Scheduler.Run(); // both wait

        subject.OnNext("x"); // on main, which has tasklets: the send runs the scheduler until a receiver takes it
        subject.OnCompleted();
        Scheduler.Run();

        Assert.Equal(["soft x"], received);
        Assert.Equal(["hard", "soft"], ended.Order());
    });

    [Fact]
    public void OnError_is_raised_in_a_receiver_and_then_in_every_iteration() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var error = new ArgumentException("bad input");
        var caught = new List<Exception>();
        for (var i = 0; i < 2; i++)
        {
            Tasklet.Spawn(async () =>
            {
                try
                {
                    await foreach (var _ in channel)
                    {
                    }
                }
                catch (ArgumentException ex)
                {
                    caught.Add(ex);
                }
            });
        }

        Scheduler.Run();
        using var subscription = Observable.Throw<int>(error).SubscribeTo(channel);
        Scheduler.Run();

        Assert.Equal(2, caught.Count);
        Assert.All(caught, ex => Assert.Same(error, ex));
    });

    [Fact]
    public void ToChannel_subscribes_a_synchronous_source_on_the_thread_pool() => Isolated.Run(() =>
    {
        var channel = Observable.Range(1, 5).ToChannel();

        // The source waits on a pool thread with its first value; from then on that thread is in the channel's deadlock
        // group, and main's blocking receives wait for it.
        Assert.True(SpinWait.SpinUntil(() => channel.Balance == 1, Isolated.Timeout));
        var sum = 0;
        foreach (var value in channel)
        {
            sum += value;
        }

        Assert.Equal(15, sum);
        Assert.True(channel.IsCompleted);
    });

    [Fact]
    public void Disposing_ends_a_thread_pool_wait_in_OnNext_without_sending() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var subject = new Subject<int>();
        var subscription = subject.SubscribeTo(channel);
        var producer = Task.Run(() => subject.OnNext(1));
        Assert.True(SpinWait.SpinUntil(() => channel.Balance == 1, Isolated.Timeout));

        subscription.Dispose();
        producer.GetAwaiter().GetResult(); // OnNext returned
        Assert.Equal(0, channel.Balance);
        Assert.False(subject.HasObservers);
        Assert.False(channel.TryReceive(out _));
    });

    [Fact]
    public void ToChannel_unsubscribes_when_its_token_is_cancelled() => Isolated.Run(() =>
    {
        var subject = new Subject<int>();
        using var cancel = new CancellationTokenSource();
        var channel = subject.ToChannel(cancel.Token);
        Assert.True(SpinWait.SpinUntil(() => subject.HasObservers, Isolated.Timeout)); // subscribed on the pool
        cancel.Cancel();
        Assert.True(SpinWait.SpinUntil(() => !subject.HasObservers, Isolated.Timeout)); // SubscribeOn unsubscribes on the pool too
        Assert.False(channel.IsCompleted);
    });

    [Fact]
    public void OnNext_in_a_soft_tasklet_raises_a_clear_error_instead_of_blocking() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var subject = new Subject<int>();
        using var subscription = subject.SubscribeTo(channel);
        Tasklet.Spawn(() =>
        {
            subject.OnNext(1);
            return Task.CompletedTask;
        });
        var error = Assert.Throws<InvalidOperationException>(Scheduler.Run);
        Assert.Contains("soft tasklet", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, channel.Balance);
    });
}
