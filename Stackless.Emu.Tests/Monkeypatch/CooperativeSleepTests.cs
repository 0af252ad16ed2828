using Microsoft.Extensions.Time.Testing;
using Stackless.Emu.Monkeypatch;
using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Monkeypatch;

/// <summary>All tests touching the static <see cref="StacklessSettings.TimeProvider"/> live here (xunit runs a class's tests one at a time).</summary>
[Collection(SequentialCollection.Name)]
public class CooperativeSleepTests
{
    [Fact]
    public void A_hard_tasklet_sleeps_200ms_of_its_clock_while_a_soft_tasklet_makes_10_steps() => Isolated.Run(() =>
    {
        // Time is the subject: a fake clock, advanced by the soft tasklet, so a busy machine cannot change the outcome.
        var fake = new FakeTimeProvider();
        var saved = StacklessSettings.TimeProvider;
        StacklessSettings.TimeProvider = fake;
        try
        {
            var steps = 0;
            var stepsWhenAwake = -1;
            var slept = TimeSpan.Zero;
            Tasklet.SpawnHard(() =>
            {
                var start = fake.GetUtcNow();
                Cooperative.Sleep(TimeSpan.FromMilliseconds(200));
                slept = fake.GetUtcNow() - start;
                stepsWhenAwake = steps;
            });
            Tasklet.Spawn(async () =>
            {
                for (var i = 0; i < 10; i++)
                {
                    steps++;
                    await Scheduler.ScheduleAsync();
                    if (i == 4)
                    {
                        fake.Advance(TimeSpan.FromMilliseconds(199)); // not yet: the hard tasklet sleeps on
                    }
                }

                fake.Advance(TimeSpan.FromMilliseconds(1));
            });
            Scheduler.Run();
            Assert.Equal(TimeSpan.FromMilliseconds(200), slept);
            Assert.Equal(10, stepsWhenAwake); // the soft tasklet made all its steps while the hard one slept
        }
        finally
        {
            StacklessSettings.TimeProvider = saved;
        }
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
            Scheduler.Run(); // an hour of fake time: it returns only because the fake clock was advanced
            Assert.Equal(["advance 30m", "soft woke", "advance 30m", "hard woke"], log);
        }
        finally
        {
            StacklessSettings.TimeProvider = saved;
        }
    });
}
