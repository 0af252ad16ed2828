using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Core;

/// <summary>
/// The channel operations' shortcut to the calling thread's scheduler (ThreadScheduler.CallerOnStack.cs): it may answer
/// "the owner" only for a soft step the owner executes on the driving thread, and must fall back to the thread static
/// (answer false) for every other caller, or an operation would run on the wrong scheduler.
/// </summary>
public class CallerOnStackTests
{
    [Fact]
    public void A_soft_step_is_recognized_and_mains_own_code_is_not() => Isolated.Run(() =>
    {
        var scheduler = ThreadScheduler.Current;
        var inStep = new List<bool>();
        var channel = new Channel<int>();
        Tasklet.Spawn(async () =>
        {
            inStep.Add(scheduler.IsCallerItsSoftStep());
            await channel.SendAsync(1); // the shortcut's own path: the value must still arrive
            inStep.Add(scheduler.IsCallerItsSoftStep());
        });
        Assert.False(scheduler.IsCallerItsSoftStep()); // main, no loop running
        Assert.Equal(1, channel.Receive());
        Scheduler.Run();
        Assert.False(scheduler.IsCallerItsSoftStep());
        Assert.Equal([true, true], inStep);
    });

    [Fact]
    public void Another_thread_is_never_taken_for_the_step_the_owner_is_executing() => Isolated.Run(() =>
    {
        var scheduler = ThreadScheduler.Current;
        bool? otherThreadAnswer = null;
        var channel = new Channel<int>();
        Thread? other = null;
        Tasklet.Spawn(() =>
        {
            // The step is executing on this thread while another thread asks, and operates on the channel.
            other = new Thread(() =>
            {
                otherThreadAnswer = scheduler.IsCallerItsSoftStep();
                channel.Send(7); // a thread without tasklets: blocks until main receives, on its own scheduler
            });
            other.Start();
            Assert.True(SpinWait.SpinUntil(() => otherThreadAnswer is not null, Stress.HangGuard));
            Assert.True(scheduler.IsCallerItsSoftStep());
            return Task.CompletedTask;
        });
        Scheduler.Run();
        Assert.False(otherThreadAnswer);

        // Main may only wait for a thread that has joined the channel: a plain thread that has yet to use it could be
        // anything, so until then a receive with no sender is a deadlock.
        Assert.True(SpinWait.SpinUntil(() => channel.Balance == 1, Stress.HangGuard));
        Assert.Equal(7, channel.Receive());
        Assert.True(other!.Join(Stress.HangGuard));
    });

    [Fact]
    public void A_step_deep_in_recursion_falls_back_and_its_operations_still_work() => Isolated.Run(() =>
    {
        var scheduler = ThreadScheduler.Current;
        var answers = new List<bool>();
        var channel = new Channel<int>();
        Tasklet.Spawn(async () =>
        {
            var received = await DeepAsync(scheduler, channel, answers, depth: 400);
            Assert.Equal(42, received);
        });
        Scheduler.Run();
        channel.Send(42);
        Scheduler.Run();
        Assert.True(answers[0]); // shallow: recognized
        Assert.False(answers[^1]); // hundreds of frames below the loop (far beyond the window): the thread static answers
    }, stackSize: 16 * 1024 * 1024);

    [Fact]
    public void A_hard_tasklet_driving_the_loop_runs_steps_that_are_recognized_on_its_thread() => Isolated.Run(() =>
    {
        var scheduler = ThreadScheduler.Current;
        var request = new Channel<int>();
        var reply = new Channel<int>();
        var answers = new List<(bool Recognized, int Thread)>();
        Tasklet.Spawn(async () =>
        {
            for (var i = 0; i < 3; i++)
            {
                var v = await request.ReceiveAsync();
                answers.Add((scheduler.IsCallerItsSoftStep(), Environment.CurrentManagedThreadId));
                await reply.SendAsync(v + 1);
            }
        });
        var hardThread = 0;
        var sum = 0;
        Tasklet.SpawnHard(() =>
        {
            hardThread = Environment.CurrentManagedThreadId;
            Assert.False(scheduler.IsCallerItsSoftStep()); // a hard tasklet's own code is not a soft step
            for (var i = 0; i < 3; i++)
            {
                request.Send(i);
                sum += reply.Receive();
            }
        });
        Scheduler.Run();
        Assert.Equal(6, sum);
        Assert.All(answers, a => Assert.True(a.Recognized));
        Assert.Contains(answers, a => a.Thread == hardThread); // the hard tasklet's thread drove some of the steps
    });

    /// <summary>Recurses <paramref name="depth"/> frames (each with a 256-byte local) inside the step, then receives.</summary>
    private static async Task<int> DeepAsync(ThreadScheduler scheduler, Channel<int> channel, List<bool> answers, int depth)
    {
        answers.Add(scheduler.IsCallerItsSoftStep());
        return Recurse(depth) > 0 ? await channel.ReceiveAsync() : 0;

        int Recurse(int n)
        {
            Span<byte> frame = stackalloc byte[256];
            frame[n % 256] = 1;
            if (n == 0)
            {
                answers.Add(scheduler.IsCallerItsSoftStep());
                return frame[0] + 1;
            }

            return Recurse(n - 1) + frame[n % 256] - 1;
        }
    }
}
