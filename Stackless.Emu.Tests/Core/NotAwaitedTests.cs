using Stackless.Emu.Diagnostics;
using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Core;

/// <summary>
/// The documented errors of asynchronous forms that were not awaited: raised where the misuse happens, before any
/// internal assertion could see the broken state (these run in Debug, where a failed <c>Debug.Assert</c> ends the
/// process), and the operation that was left pending still completes when it is awaited afterwards.
/// </summary>
public class NotAwaitedTests
{
    [Fact]
    public void A_second_operation_while_a_switch_is_pending_raises_NotAwaited_and_the_first_still_completes() => Isolated.Run(() =>
    {
        Exception? error = null;
        var ran = new List<string>();
        Tasklet.Spawn(async () =>
        {
            var pending = Scheduler.ScheduleAsync(); // switches: another tasklet is runnable
            error = Record.Exception(() => Scheduler.ScheduleAsync());
            await pending;
            ran.Add("a");
        });
        Tasklet.Spawn(() =>
        {
            ran.Add("b");
            return Task.CompletedTask;
        });
        Scheduler.Run();
        Assert.Equal(ErrorMessages.NotAwaited, Assert.IsType<InvalidOperationException>(error).Message);
        Assert.Equal(["b", "a"], ran);
    });

    [Fact]
    public void A_receive_while_a_blocked_send_is_pending_raises_NotAwaited_and_changes_nothing() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        Exception? error = null;
        var sender = Tasklet.Spawn(async () =>
        {
            var pending = channel.SendAsync(1); // blocks: nobody receives yet
            error = Record.Exception(() => channel.ReceiveAsync());
            Assert.Equal(1, channel.Balance); // the refused receive did not touch the queue
            await pending;
        });
        Scheduler.Run();
        Assert.Equal(ErrorMessages.NotAwaited, Assert.IsType<InvalidOperationException>(error).Message);
        Assert.Equal(1, channel.Receive());
        Scheduler.Run();
        Assert.False(sender.Alive);
    });

    [Fact]
    public void A_TaskletFrame_awaited_by_a_second_frame_raises_there_and_the_first_gets_the_result() => Isolated.Run(() =>
    {
        var gate = new Channel<int>();
        TaskletFrame<int> shared = default;
        var results = new List<int>();
        Tasklet.SpawnFrame(async () =>
        {
            shared = Child(gate);
            results.Add(await shared);
        });
        var second = Tasklet.SpawnFrame(async () => results.Add(await shared));

        var error = Assert.Throws<InvalidOperationException>(() => Scheduler.Run());
        Assert.Equal("A TaskletFrame can be awaited only once.", error.Message);
        Assert.False(second.Alive);
        gate.Send(7);
        Scheduler.Run();
        Assert.Equal([7], results);
    });

    private static async TaskletFrame<int> Child(Channel<int> gate) => await gate.ReceiveAsync();
}
