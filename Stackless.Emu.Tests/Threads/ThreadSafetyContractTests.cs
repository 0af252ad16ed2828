using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Threads;

/// <summary>
/// The thread-safety contracts of docs/threading.md: the members made safe from any thread keep every write when two
/// threads use them at once (counted, never timed), and the owner-thread-only members raise a clear error on another
/// thread instead of corrupting state that their scheduler reads without a lock.
/// </summary>
public class ThreadSafetyContractTests
{
    private const int Rounds = 20_000;

    [Fact]
    public void Preference_and_ScheduleAll_set_from_two_threads_at_once_never_lose_each_others_write() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var lost = RaceOnModes(
            channel,
            i =>
            {
                channel.ScheduleAll = i % 2 == 0;
                return channel.ScheduleAll == (i % 2 == 0);
            },
            i =>
            {
                channel.Preference = i % 2 == 0 ? 1 : -1;
                return channel.Preference == (i % 2 == 0 ? 1 : -1);
            });
        Assert.Equal(0, lost);
        Assert.True(channel.IsShared); // the second thread's first write shared the channel: its lock guards both
    });

    [Fact]
    public void Close_and_Open_from_one_thread_and_Preference_from_another_never_lose_a_write() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var lost = RaceOnModes(
            channel,
            i =>
            {
                if (i % 2 == 0)
                {
                    channel.Close();
                }
                else
                {
                    channel.Open();
                }

                return channel.Closing == (i % 2 == 0);
            },
            i =>
            {
                channel.Preference = i % 3 - 1;
                return channel.Preference == i % 3 - 1;
            });
        Assert.Equal(0, lost);
        Assert.False(channel.Closing); // the last round (odd) opened it
    });

    [Fact]
    public void A_name_given_from_another_thread_does_not_drop_the_tempval_the_owner_stores_meanwhile() => Isolated.Run(() =>
    {
        // Both writes create the tasklet's rarely used state on first use: only one creation may win, and both values stay.
        const int tasklets = 2_000;
        var created = Enumerable.Range(0, tasklets).Select(_ => new Tasklet()).ToArray();
        var values = Enumerable.Range(0, tasklets).Select(i => (object)i).ToArray();
        using var start = new Barrier(2);
        var namer = new Thread(() =>
        {
            for (var i = 0; i < tasklets; i++)
            {
                start.SignalAndWait();
                created[i].Name = "n" + i;
            }
        });
        namer.Start();
        for (var i = 0; i < tasklets; i++)
        {
            start.SignalAndWait();
            created[i].TempVal = values[i];
        }

        namer.Join();
        Assert.Equal(0, Enumerable.Range(0, tasklets).Count(i => created[i].TempVal != values[i] || created[i].Name != "n" + i));
    });

    [Fact]
    public void Members_that_write_unlocked_tasklet_state_raise_on_another_thread_and_change_nothing() => Isolated.Run(() =>
    {
        var tasklet = new Tasklet(() => Task.CompletedTask);
        var errors = new List<Exception?>();
        var other = new Thread(() =>
        {
            errors.Add(Record.Exception(() => tasklet.SetAtomic(true)));
            errors.Add(Record.Exception(() => tasklet.SetIgnoreNesting(true)));
            errors.Add(Record.Exception(() => tasklet.BlockTrap = true));
            errors.Add(Record.Exception(() => tasklet.TempVal = 1));
            errors.Add(Record.Exception(() => tasklet.Items["key"] = 1));
            errors.Add(Record.Exception(() => tasklet.Dump()));
        });
        other.Start();
        other.Join();

        Assert.Equal(6, errors.Count);
        Assert.All(errors, error => Assert.Contains("may only be used on the tasklet's own thread", Assert.IsType<InvalidOperationException>(error).Message, StringComparison.Ordinal));
        Assert.False(tasklet.Atomic);
        Assert.False(tasklet.IgnoreNesting);
        Assert.False(tasklet.BlockTrap);
        Assert.Null(tasklet.TempVal);
        Assert.Empty(tasklet.Items);

        // On its own thread the same calls work.
        Assert.False(tasklet.SetAtomic(true));
        Assert.True(tasklet.Atomic);
    });

    [Fact]
    public void Join_from_a_tasklet_of_the_thread_itself_raises_instead_of_waiting_for_ever_and_Dispose_there_only_stops() => Isolated.Run(() =>
    {
        var worker = new SchedulerThread();
        var error = worker.InvokeAsync(() => Record.Exception(worker.Join)).GetAwaiter().GetResult();
        Assert.Contains("would wait for itself", Assert.IsType<InvalidOperationException>(error).Message, StringComparison.Ordinal);

        // Dispose from the thread's own tasklet requests the stop and returns: the thread then stops by itself.
        worker.InvokeAsync(() =>
        {
            worker.Dispose();
            return 0;
        }).GetAwaiter().GetResult();
        worker.Completion.GetAwaiter().GetResult();
        Assert.Throws<ObjectDisposedException>(() => worker.Post(() => Task.CompletedTask));
    });

    /// <summary>
    /// Runs <paramref name="onOwner"/> on the channel's own thread and <paramref name="onOther"/> on another, <see cref="Rounds"/>
    /// times each, at once; each writes a mode the other never writes and reads it back. Returns how many read-backs saw
    /// something else: a write lost to the other thread's read-modify-write.
    /// </summary>
    private static int RaceOnModes(Channel<int> channel, Func<int, bool> onOwner, Func<int, bool> onOther)
    {
        var lost = 0;
        using var start = new Barrier(2);
        var other = new Thread(() =>
        {
            start.SignalAndWait();
            for (var i = 0; i < Rounds; i++)
            {
                if (!onOther(i))
                {
                    Interlocked.Increment(ref lost);
                }
            }
        });
        other.Start();
        start.SignalAndWait();
        for (var i = 0; i < Rounds; i++)
        {
            if (!onOwner(i))
            {
                Interlocked.Increment(ref lost);
            }
        }

        other.Join();
        GC.KeepAlive(channel);
        return lost;
    }
}
