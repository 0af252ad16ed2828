using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Core;

/// <summary>Complete(): System.Threading.Channels' completion, beside Stackless's Close().</summary>
public class ChannelCompletionTests
{
    [Fact]
    public void Complete_ends_the_iterations_that_wait_soft_and_hard() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var ended = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            var name = "soft " + i;
            Tasklet.Spawn(async () =>
            {
                await foreach (var _ in channel)
                {
                }

                ended.Add(name);
            });
        }

        Tasklet.SpawnHard(() =>
        {
            foreach (var _ in channel)
            {
            }

            ended.Add("hard");
        });
        Scheduler.Run();
        Assert.Equal(-3, channel.Balance); // all three wait

        channel.Complete();
        Assert.True(channel.IsCompleted);
        Assert.Equal(0, channel.Balance);
        Assert.Empty(ended); // Complete never switches: they run when the scheduler does
        Scheduler.Run();
        Assert.Equal(["soft 0", "soft 1", "hard"], ended);
        Assert.True(channel.Completion.IsCompletedSuccessfully);
    });

    [Fact]
    public void Close_by_contrast_leaves_waiting_receivers_waiting() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var receiver = Tasklet.Spawn(async () => await channel.ReceiveAsync());
        Scheduler.Run();
        channel.Close();
        Scheduler.Run();
        Assert.True(receiver.Blocked);
        Assert.Equal(-1, channel.Balance);
        channel.Open();
        channel.Send(1);
        Assert.False(receiver.Alive);
    });

    [Fact]
    public void A_plain_receive_that_waits_raises_ChannelClosedException_and_later_operations_raise_too() => Isolated.Run(() =>
    {
        var channel = new Channel<string>();
        Exception? waiting = null;
        Tasklet.Spawn(async () =>
        {
            try
            {
                await channel.ReceiveAsync();
            }
            catch (ChannelClosedException ex)
            {
                waiting = ex;
            }
        });
        Scheduler.Run();
        channel.Complete();
        Scheduler.Run();

        Assert.StartsWith("Send/receive operation on a closed channel", Assert.IsType<ChannelClosedException>(waiting).Message, StringComparison.Ordinal);
        Assert.Contains("Complete()", waiting.Message, StringComparison.Ordinal);
        Assert.Throws<ChannelClosedException>(() => channel.Receive());
        Assert.Throws<ChannelClosedException>(() => channel.Send("late"));
        Assert.False(channel.TrySend("late"));
        Assert.True(channel.Closed);
    });

    [Fact]
    public void Senders_waiting_at_completion_are_drained_before_the_iteration_ends() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        for (var i = 1; i <= 3; i++)
        {
            var value = i;
            Tasklet.Spawn(async () => await channel.SendAsync(value));
        }

        Scheduler.Run();
        Assert.Equal(3, channel.Balance);
        channel.Complete();
        Assert.False(channel.Completion.IsCompleted); // three values are still to come

        var received = new List<int>();
        foreach (var value in channel)
        {
            received.Add(value);
        }

        Assert.Equal([1, 2, 3], received);
        Assert.True(channel.Completion.IsCompletedSuccessfully);
        Scheduler.Run();
    });

    [Fact]
    public void Completing_with_an_error_raises_it_in_iterations_and_wraps_it_for_plain_receives() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var error = new TimeoutException("upstream gave up");
        Exception? iterating = null, receiving = null;
        Tasklet.Spawn(async () =>
        {
            try
            {
                await foreach (var _ in channel)
                {
                }
            }
            catch (TimeoutException ex)
            {
                iterating = ex;
            }
        });
        Tasklet.Spawn(async () =>
        {
            try
            {
                await channel.ReceiveAsync();
            }
            catch (ChannelClosedException ex)
            {
                receiving = ex;
            }
        });
        Scheduler.Run();
        channel.Complete(error);
        Scheduler.Run();

        Assert.Same(error, iterating);
        Assert.Same(error, Assert.IsType<ChannelClosedException>(receiving).InnerException);
        Assert.Same(error, channel.Completion.Exception?.InnerException);
    });

    [Fact]
    public void Complete_is_final() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var completion = channel.Completion; // asked for before completing: it follows the completion
        Assert.True(channel.TryComplete());
        Assert.False(channel.TryComplete(new InvalidOperationException("second")));
        Assert.Throws<ChannelClosedException>(() => channel.Complete());
        Assert.Contains("cannot be reopened", Assert.Throws<InvalidOperationException>(channel.Open).Message, StringComparison.Ordinal);
        Assert.True(completion.IsCompletedSuccessfully);
    });

    [Fact]
    public void Complete_from_a_thread_without_tasklets_wakes_receivers_on_their_own_thread() => Isolated.Run(() =>
    {
        using var worker = new SchedulerThread("receivers");
        var channel = worker.InvokeAsync(() => new Channel<int>()).GetAwaiter().GetResult();
        var ended = 0;
        for (var i = 0; i < 3; i++)
        {
            worker.Post(async () =>
            {
                await foreach (var _ in channel)
                {
                }

                Interlocked.Increment(ref ended);
            });
        }

        Assert.True(SpinWait.SpinUntil(() => channel.Balance == -3, Isolated.Timeout));
        Task.Run(() => channel.Complete()).GetAwaiter().GetResult();
        worker.Join();
        Assert.Equal(3, ended);
    });
}
