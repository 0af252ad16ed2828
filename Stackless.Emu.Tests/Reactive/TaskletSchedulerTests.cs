using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using Microsoft.Extensions.Time.Testing;
using Stackless.Emu.Reactive;
using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Reactive;

/// <summary>TaskletScheduler: Rx work as tasklets on the scheduler thread, timed in virtual time with a FakeTimeProvider.</summary>
public class TaskletSchedulerTests
{
    [Fact]
    public void ObserveOn_runs_observer_code_as_tasklets_on_the_scheduler_thread() => Isolated.Run(() =>
    {
        var scheduler = TaskletScheduler.ForCurrentThread();
        var subject = new Subject<int>();
        var seen = new List<(int Value, int Thread, string? Tasklet)>();
        var completed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = subject.ObserveOn(scheduler).Subscribe(
            v => seen.Add((v, Environment.CurrentManagedThreadId, Tasklet.Current.Name)),
            completed.SetResult);
        var producer = Task.Run(() =>
        {
            for (var i = 0; i < 3; i++)
            {
                subject.OnNext(i);
            }

            subject.OnCompleted();
        });

        Scheduler.WaitFor(completed.Task); // main waits cooperatively: the posted work runs meanwhile
        producer.GetAwaiter().GetResult();
        Assert.Equal([0, 1, 2], seen.Select(s => s.Value));
        Assert.All(seen, s => Assert.Equal(Environment.CurrentManagedThreadId, s.Thread));
        Assert.All(seen, s => Assert.Equal("posted work", s.Tasklet));
    });

    [Fact]
    public void Observer_code_on_the_scheduler_interleaves_with_tasklets_and_may_spawn_them() => Isolated.Run(() =>
    {
        var scheduler = TaskletScheduler.ForCurrentThread();
        var log = new List<string>();
        var channel = new Channel<int>();
        Tasklet.Spawn(async () =>
        {
            await foreach (var value in channel)
            {
                log.Add("tasklet got " + value);
            }
        });
        using var subscription = Observable.Range(0, 3, scheduler).Subscribe(v =>
        {
            log.Add("observer " + v);
            Assert.True(channel.TrySend(v)); // the tasklet waits: no blocking needed
        });
        Scheduler.Run();
        Assert.Equal(["observer 0", "tasklet got 0", "observer 1", "tasklet got 1", "observer 2", "tasklet got 2"], log);
        channel.Complete();
        Scheduler.Run();
    });

    [Fact]
    public void Timed_operators_run_in_virtual_time_and_Run_waits_for_their_timers() => Isolated.Run(() =>
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var scheduler = TaskletScheduler.ForCurrentThread(time);
        var start = scheduler.Now;
        var ticks = new List<(long Tick, TimeSpan At)>();
        using var subscription = Observable.Interval(TimeSpan.FromSeconds(10), scheduler)
            .Take(3)
            .Subscribe(t => ticks.Add((t, scheduler.Now - start)));

        // A tasklet moves the clock on in steps of one second; Run() keeps going while the interval is pending.
        var steps = 0;
        Tasklet.Spawn(async () =>
        {
            while (ticks.Count < 3)
            {
                time.Advance(TimeSpan.FromSeconds(1));
                steps++;
                await Scheduler.ScheduleAsync();
                await Task.Yield(); // lets the posted tick in
            }
        });
        Scheduler.Run();

        Assert.Equal([(0L, TimeSpan.FromSeconds(10)), (1L, TimeSpan.FromSeconds(20)), (2L, TimeSpan.FromSeconds(30))], ticks);
        Assert.Equal(30, steps);
    });

    [Fact]
    public void Delayed_work_disposed_before_it_is_due_never_runs_and_is_no_longer_pending() => Isolated.Run(() =>
    {
        var time = new FakeTimeProvider();
        var scheduler = TaskletScheduler.ForCurrentThread(time);
        var ran = false;
        var work = scheduler.Schedule(TimeSpan.FromMinutes(1), () => ran = true);
        work.Dispose();
        Scheduler.Run(); // returns: nothing is pending
        time.Advance(TimeSpan.FromMinutes(2));
        Scheduler.Run();
        Assert.False(ran);
    });

    [Fact]
    public void Work_runs_in_the_order_it_was_scheduled() => Isolated.Run(() =>
    {
        var scheduler = TaskletScheduler.ForCurrentThread();
        var order = new List<int>();
        for (var i = 0; i < 5; i++)
        {
            var n = i;
            scheduler.Schedule(() => order.Add(n));
        }

        Scheduler.Run();
        Assert.Equal([0, 1, 2, 3, 4], order);
    });

    [Fact]
    public void An_exception_in_scheduled_work_is_raised_in_main() => Isolated.Run(() =>
    {
        var scheduler = TaskletScheduler.ForCurrentThread();
        scheduler.Schedule(() => throw new InvalidTimeZoneException("from work"));
        Assert.Equal("from work", Assert.Throws<InvalidTimeZoneException>(Scheduler.Run).Message);
    });

    [Fact]
    public void Delay_in_virtual_time() => Isolated.Run(() =>
    {
        var time = new FakeTimeProvider();
        var scheduler = TaskletScheduler.ForCurrentThread(time);
        var got = new List<string>();
        using var subscription = Observable.Return("late", scheduler)
            .Delay(TimeSpan.FromHours(1), scheduler)
            .Subscribe(v => got.Add($"{v} at {(time.GetUtcNow() - time.Start).TotalMinutes} min"));
        var minutes = 0;
        Tasklet.Spawn(async () =>
        {
            while (true)
            {
                await Scheduler.ScheduleAsync(); // posted work (the source, then the delayed value) runs here
                await Task.Yield();
                if (got.Count > 0)
                {
                    break;
                }

                time.Advance(TimeSpan.FromMinutes(1));
                minutes++;
            }
        });
        Scheduler.Run();
        Assert.Equal(["late at 60 min"], got);
        Assert.Equal(60, minutes);
    });
}
