using System.Diagnostics;
using Microsoft.Extensions.Time.Testing;
using Stackless.Emu.Monkeypatch;
using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Monkeypatch;

/// <summary>All tests touching the static <see cref="StacklessSettings.TimeProvider"/> live here (xunit runs a class's tests one at a time).</summary>
// Real-time sleeps: measured alone, so a thread pool busy with parallel tests cannot delay the timers.
[Collection(SequentialCollection.Name)]
public class CooperativeSleepTests
{
    [Fact]
    public void A_hard_tasklet_sleeps_200ms_while_a_soft_tasklet_makes_10_steps() => Isolated.Run(() =>
    {
        var steps = 0;
        var stepsWhenAwake = -1;
        var times = new List<long>();

        // Warm-up (JIT, timer queue): on a cold, loaded machine the first timer alone can take hundreds of ms.
        Tasklet.SpawnHard(() => Cooperative.Sleep(TimeSpan.FromMilliseconds(1)));
        Tasklet.Spawn(async () => await Task.Delay(1));
        Scheduler.Run();

        TimeSpan slept = default;
        Tasklet.SpawnHard(() =>
        {
            var watch = Stopwatch.StartNew();
            Cooperative.Sleep(TimeSpan.FromMilliseconds(200));
            slept = watch.Elapsed;
            stepsWhenAwake = steps;
        });
        Tasklet.Spawn(async () =>
        {
            var w = Stopwatch.StartNew();
            for (var i = 0; i < 10; i++)
            {
                steps++;
                times.Add(w.ElapsedMilliseconds);
                await Scheduler.ScheduleAsync();
                times.Add(w.ElapsedMilliseconds);
                await Task.Delay(5);
            }
        });
        Scheduler.Run();
        Assert.True(slept >= TimeSpan.FromMilliseconds(190), $"slept {slept}");
        Assert.True(10 == stepsWhenAwake, "soft step times (ms): " + string.Join(",", times));
    });

    [Fact]
    public void Sleep_follows_a_fake_time_provider() => Isolated.Run(() =>
    {
        var fake = new FakeTimeProvider();
        var saved = StacklessSettings.TimeProvider;
        StacklessSettings.TimeProvider = fake;
        try
        {
            var log = new List<string>();
            Tasklet.SpawnHard(() =>
            {
                Cooperative.Sleep(TimeSpan.FromHours(1));
                log.Add("hard woke");
            });
            Tasklet.Spawn(async () =>
            {
                var sleep = Cooperative.SleepAsync(TimeSpan.FromMinutes(30));
                await Scheduler.ScheduleAsync();
                log.Add("advance 30m");
                fake.Advance(TimeSpan.FromMinutes(30));
                await sleep;
                log.Add("soft woke");
                await Scheduler.ScheduleAsync();
                log.Add("advance 30m");
                fake.Advance(TimeSpan.FromMinutes(30));
            });
            var watch = Stopwatch.StartNew();
            Scheduler.Run();
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5));
            Assert.Equal(["advance 30m", "soft woke", "advance 30m", "hard woke"], log);
        }
        finally
        {
            StacklessSettings.TimeProvider = saved;
        }
    });
}
