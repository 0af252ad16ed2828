using Stackless.Emu.Monkeypatch;
using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Monkeypatch;

/// <summary><see cref="CooperativeSocket"/>'s asynchronous forms in <c>async TaskletFrame</c> bodies (the fast path of issue 19).</summary>
public class CooperativeSocketFrameTests
{
    [Fact]
    public void APendingReceive_ComesBackWithOneHandIn_NotThroughAPostedWorkTasklet() => Isolated.Run(() =>
    {
        var (a, b) = Loopback.Pair();
        using var peer = b;
        long postsWhileWaiting = -1;
        var received = 0;
        var reader = Tasklet.SpawnFrame(async () =>
        {
            using var socket = new CooperativeSocket(a);
            var scheduler = ThreadScheduler.Current;
            var before = scheduler.InboxPosts;
            received = await socket.ReceiveAsync(new byte[8]);
            postsWhileWaiting = scheduler.InboxPosts - before;
        });
        Scheduler.Schedule();
        Assert.True(reader.BlockedOnIO);
        b.Send([1, 2, 3]);
        Scheduler.Run();
        Assert.Equal(3, received);
        Assert.Equal(1, postsWhileWaiting); // the frame's own hand-back; the old path posted the completion as work first
    });

    [Fact]
    public void Kill_interrupts_a_frame_blocked_in_a_cooperative_receive_its_finally_runs_and_nothing_reaches_main() => Isolated.Run(() =>
    {
        var (a, b) = Loopback.Pair();
        using var peer = b;
        var log = new List<string>();
        var reader = Tasklet.SpawnFrame(async () =>
        {
            using var socket = new CooperativeSocket(a);
            try
            {
                log.Add("read " + await socket.ReceiveAsync(new byte[8]));
            }
            finally
            {
                log.Add("finally");
            }
        });
        Scheduler.Schedule();
        Assert.True(reader.BlockedOnIO);
        reader.Kill();
        Scheduler.Run(); // would raise here if the cancellation ended the tasklet as an error
        Assert.False(reader.Alive);
        Assert.Equal(["finally"], log);
        Assert.True(a.SafeHandle.IsClosed);
        Assert.Equal(0, b.Receive(new byte[8]));
    });
}
