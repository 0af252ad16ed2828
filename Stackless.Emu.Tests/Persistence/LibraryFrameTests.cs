using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Persistence;

/// <summary>
/// The channel's own <see cref="TaskletFrame"/> methods are frames the loader resumes (<c>PicklePolicy.IsResumableLibraryFrame</c>):
/// a tasklet blocked inside <see cref="Channel{T}.SendSequenceAsync"/> pickles, loads and sends the rest of its sequence
/// (Stackless pickles a tasklet inside <c>send_sequence</c> too).
/// </summary>
public class LibraryFrameTests
{
    private static async TaskletFrame SendThenReport(Channel<int> channel, Channel<int> done, int[] values)
    {
        var sent = await channel.SendSequenceAsync(values);
        await done.SendAsync(sent);
    }

    [Fact]
    public void A_tasklet_blocked_inside_SendSequenceAsync_is_restored_and_sends_the_rest_of_its_sequence() => Isolated.Run(() =>
    {
        var channel = new Channel<int> { Name = "values" };
        var done = new Channel<int> { Name = "done" };
        var sender = Tasklet.SpawnFrame(() => SendThenReport(channel, done, [1, 2, 3, 4]));
        Assert.Equal(1, channel.Receive()); // the sender goes on to the second value and blocks inside SendSequenceAsync
        Scheduler.Run();
        Assert.True(sender.Blocked);
        Assert.Equal(1, channel.Balance);
        Assert.True(sender.Restorable);

        var pickler = new TaskletPickler(PickleRoundTripTests.Options());
        var data = pickler.Dump([sender]);
        sender.Kill();

        var contents = pickler.Load(data);
        var copy = Assert.Single(contents.Tasklets);
        var values = contents.Channels.OfType<Channel<int>>().Single(c => c.Name == "values");
        var report = contents.Channels.OfType<Channel<int>>().Single(c => c.Name == "done");
        Assert.Equal(1, values.Balance); // the copy waits in the copied channel, holding its value
        Assert.Same(copy, values.Queue);

        Assert.Equal([2, 3, 4], new[] { values.Receive(), values.Receive(), values.Receive() });
        Assert.Equal(4, report.Receive()); // SendSequenceAsync returned its count in the restored frame
        Scheduler.Run();
        Assert.False(copy.Alive);
    });

    [Fact]
    public void A_lambda_awaiting_SendSequenceAsync_is_restored_with_its_library_frame() => Isolated.Run(() =>
    {
        var channel = new Channel<string> { Name = "words" };
        var sender = Tasklet.SpawnFrame(async () => await channel.SendSequenceAsync(["a", "b", "c"]));
        Scheduler.Run();
        Assert.True(sender.Blocked);

        var pickler = new TaskletPickler(PickleRoundTripTests.Options());
        var data = pickler.Dump([sender]);
        sender.Kill();

        var contents = pickler.Load(data);
        var words = (Channel<string>)Assert.Single(contents.Channels);
        Assert.Equal(["a", "b", "c"], new[] { words.Receive(), words.Receive(), words.Receive() });
        Scheduler.Run();
        Assert.False(Assert.Single(contents.Tasklets).Alive);
    });

    [Fact]
    public void A_cancellable_token_in_SendSequenceAsync_is_refused_with_a_clear_error() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        using var cancel = new CancellationTokenSource();
        var sender = Tasklet.SpawnFrame(async () => await channel.SendSequenceAsync([1, 2], cancel.Token));
        sender.Run(); // not Scheduler.Run(): a wait a token can end counts as pending, and Run() would wait for it
        Assert.True(sender.Blocked);

        var error = Assert.Throws<PicklingException>(() => new TaskletPickler(PickleRoundTripTests.Options()).Dump([sender]));
        Assert.Contains("CancellationToken that can be cancelled", error.Message, StringComparison.Ordinal);
        sender.Kill();
    });
}
