using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Core;

/// <summary>
/// The README's patterns for porting Stackless's tasklet and channel subclasses (section "Porting tasklet and channel
/// subclasses"): a class that owns its tasklet and is found from it, and a channel wrapper with its own send/receive.
/// </summary>
public class SubclassPortingTests
{
    private sealed class Worker
    {
        private readonly List<string> _log;

        public Worker(string job, List<string> log)
        {
            Job = job;
            _log = log;
            Tasklet = new Tasklet(RunAsync);
            Tasklet.Items["worker"] = this;
        }

        public string Job { get; }

        public Tasklet Tasklet { get; }

        public static Worker Current => (Worker)Tasklet.Current.Items["worker"]!;

        private async Task RunAsync()
        {
            await Scheduler.ScheduleAsync();
            _log.Add(Current.Job); // "self", found from deep inside the work
        }
    }

    private sealed class LoggingChannel<T>(Action<string> log)
    {
        private readonly Channel<T> _inner = new();

        public Channel<T> Inner => _inner;

        public async TaskletFrame SendAsync(T value)
        {
            log($"send {value}");
            await _inner.SendAsync(value);
        }

        public async TaskletFrame<T> ReceiveAsync()
        {
            var value = await _inner.ReceiveAsync();
            log($"received {value}");
            return value;
        }
    }

    [PickleByFields]
    private sealed class PrefixingChannel
    {
        private readonly Channel<string> _inner = new();
        private readonly string _prefix;

        public PrefixingChannel(string prefix) => _prefix = prefix;

        public Channel<string> Inner => _inner;

        public async TaskletFrame<string> ReceiveAsync() => _prefix + await _inner.ReceiveAsync();
    }

    [Fact]
    public void A_picklable_wrapper_lets_a_tasklet_waiting_in_it_be_pickled_and_restored() => Isolated.Run(() =>
    {
        var wrapper = new PrefixingChannel("got ");
        var received = new List<string>();
        var waiting = Tasklet.SpawnFrame(async () => received.Add(await wrapper.ReceiveAsync()));
        Scheduler.Run();
        Assert.True(waiting.Blocked);

        var options = new PickleOptions().AllowAssemblyOf<SubclassPortingTests>();
        var copy = Tasklet.Load(waiting.Dump(options), options); // the wrapper and its channel are copied with it
        Assert.True(copy.Blocked);
        copy.Kill();

        wrapper.Inner.Send("x"); // the original still works
        Scheduler.Run();
        Assert.Equal(["got x"], received);
    });

    [Fact]
    public void A_class_owning_its_tasklet_is_found_from_the_current_tasklet() => Isolated.Run(() =>
    {
        var log = new List<string>();
        var workers = new[] { new Worker("a", log), new Worker("b", log) };
        foreach (var worker in workers)
        {
            worker.Tasklet.Setup();
        }

        Scheduler.Run();
        Assert.Equal(["a", "b"], log);
        Assert.Same(workers[1], workers[1].Tasklet.Items["worker"]);
    });

    [Fact]
    public void A_channel_wrapper_adds_behaviour_and_its_waiters_stay_restorable() => Isolated.Run(() =>
    {
        var log = new List<string>();
        var channel = new LoggingChannel<int>(log.Add);
        var receiver = Tasklet.Spawn(async () => Assert.Equal(7, await channel.ReceiveAsync()));
        var sender = Tasklet.Spawn(async () => await channel.SendAsync(7));
        Scheduler.Run();
        Assert.Equal(["send 7", "received 7"], log);
        Assert.False(receiver.Alive || sender.Alive);

        var waiting = Tasklet.SpawnFrame(async () => await channel.ReceiveAsync());
        Scheduler.Run();
        Assert.True(waiting.Blocked);
        Assert.Equal(-1, channel.Inner.Balance);
        Assert.True(waiting.Restorable); // every frame is a TaskletFrame: it could be pickled here
        waiting.Kill();
    });
}
