using System.Text;
using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Persistence;

/// <summary><see cref="Tasklet.Items"/> travel with their tasklet through a pickle.</summary>
public class TaskletItemsTests
{
    private static PickleOptions Options() => PickleRoundTripTests.Options();

    private static async TaskletFrame ReportItems(Channel<int> inbox)
    {
        var value = await inbox.ReceiveAsync();
        var items = Tasklet.Current.Items;
        Tasklet.Current.TempVal = $"{items["user"]}/{items["attempt"]}/{string.Join(",", (List<string>)items["tags"]!)}/{items["none"] ?? "null"}/{ReferenceEquals(items["inbox"], inbox)}/{value}";
    }

    [Fact]
    public void Items_are_pickled_with_their_tasklet_and_keep_shared_objects_shared() => Isolated.Run(() =>
    {
        var inbox = new Channel<int>();
        var t = Tasklet.SpawnFrame(() => ReportItems(inbox));
        t.Items["user"] = "ann";
        t.Items["attempt"] = 3;
        t.Items["tags"] = new List<string> { "a", "b" };
        t.Items["none"] = null;
        t.Items["inbox"] = inbox; // the channel the frame waits on: one channel after the restore too
        t.Run();
        var contents = new TaskletPickler(Options()).Load(t.Dump());
        t.Discard();
        var copy = contents.Tasklets[0];
        Assert.Equal(5, copy.Items.Count);
        Assert.Same(Assert.Single(contents.Channels), copy.Items["inbox"]);
        ((Channel<int>)contents.Channels[0]).Send(7);
        Assert.Equal("ann/3/a,b/null/True/7", copy.TempVal);
    });

    [Fact]
    public void A_tasklet_that_never_used_its_items_pickles_none_and_allocates_none() => Isolated.Run(() =>
    {
        var t = Tasklet.SpawnFrame(() => ReportItems(new Channel<int>()));
        t.Run();
        var data = t.Dump();
        Assert.DoesNotContain("\"items\"", Encoding.UTF8.GetString(data), StringComparison.Ordinal);
        var copy = Tasklet.Load(data, Options());
        t.Discard();
        Assert.Null(copy.ItemsIfAny);
        copy.Discard();
    });

    [Fact]
    public void The_items_of_a_tasklet_that_has_not_started_are_restored() => Isolated.Run(() =>
    {
        var t = Tasklet.CreateFrame(() => ReportItems(new Channel<int>()));
        t.Items["user"] = "bob";
        var copy = Tasklet.Load(t.Dump(), Options());
        Assert.Equal("bob", copy.Items["user"]);
        Assert.False(copy.Alive);
    });

    [Fact]
    public void An_item_key_given_twice_is_refused() => Isolated.Run(() =>
    {
        var t = Tasklet.CreateFrame(() => ReportItems(new Channel<int>()));
        t.Items["user"] = "bob";
        var text = Encoding.UTF8.GetString(t.Dump()).Replace("\"items\":{\"user\":\"bob\"}", "\"items\":{\"user\":\"bob\",\"user\":\"eve\"}", StringComparison.Ordinal);
        Assert.Contains("\"user\":\"eve\"", text, StringComparison.Ordinal);
        var error = Assert.Throws<UnpicklingException>(() => Tasklet.Load(Encoding.UTF8.GetBytes(text), Options()));
        Assert.Contains("twice", error.Message, StringComparison.Ordinal);
    });
}
