using System.Reflection;
using Stackless.Emu.Tests.Infrastructure;
using static Stackless.Emu.Tests.Conformance.TestSuite.TestSuiteSupport;

namespace Stackless.Emu.Tests.Conformance.TestSuite;

/// <summary>
/// Port of stackless_testsuite/v3_1/channel/test_content.py (its class is misnamed TestTaskletContent in Python):
/// channel attributes are properties of <see cref="Channel"/>, its methods public methods; __iter__ is
/// GetEnumerator and __next__ the enumerator's MoveNext.
/// </summary>
public class ChannelContentTests
{
    [Fact]
    [StacklessTest(ChannelContent, "TestTaskletContent.testDeclaredNames", "channel")]
    public void TestDeclaredNames()
    {
        string[] names =
        [
            "GetEnumerator", "Balance", "Close", "Closed", "Closing", "Open", "Preference", "Queue", "Receive", "ScheduleAll",
            "Send", "SendException", "SendSequence", "SendThrow",
        ];
        var members = typeof(Channel).GetMembers(BindingFlags.Public | BindingFlags.Instance).Select(m => m.Name).ToHashSet();
        Assert.Equal([], names.Except(members));
        AssertMethod(typeof(Channel<object?>.Enumerator), "MoveNext");
    }

    [Fact]
    [StacklessTest(ChannelContent, "TestTaskletContent.testAttributeTypeOnClass___iter__", "channel.__iter__")]
    public void TestAttributeTypeOnClass___iter__() => AssertMethod(typeof(Channel), "GetEnumerator");

    [Fact]
    [StacklessTest(ChannelContent, "TestTaskletContent.testAttributeTypeOnInstance___iter__", "channel.__iter__")]
    public void TestAttributeTypeOnInstance___iter__() => Isolated.Run(() =>
    {
        var c = new Channel<int>();
        c.Close();
        using var e = c.GetEnumerator();
        Assert.False(e.MoveNext());
    });

    [Fact]
    [StacklessTest(ChannelContent, "TestTaskletContent.testAttributeTypeOnClass_balance", "channel.balance")]
    public void TestAttributeTypeOnClass_balance() => AssertProperty(typeof(Channel), "Balance", typeof(int));

    [Fact]
    [StacklessTest(ChannelContent, "TestTaskletContent.testAttributeTypeOnInstance_balance", "channel.balance")]
    public void TestAttributeTypeOnInstance_balance() => Isolated.Run(() =>
    {
        Assert.Equal(0, new Channel().Balance);
    });

    [Fact]
    [StacklessTest(ChannelContent, "TestTaskletContent.testAttributeTypeOnClass_close", "channel.close")]
    public void TestAttributeTypeOnClass_close() => AssertMethod(typeof(Channel), "Close");

    [Fact]
    [StacklessTest(ChannelContent, "TestTaskletContent.testAttributeTypeOnInstance_close", "channel.close")]
    public void TestAttributeTypeOnInstance_close() => Isolated.Run(() =>
    {
        var c = new Channel();
        c.Close();
        Assert.True(c.Closing);
    });

    [Fact]
    [StacklessTest(ChannelContent, "TestTaskletContent.testAttributeTypeOnClass_closed", "channel.closed")]
    public void TestAttributeTypeOnClass_closed() => AssertProperty(typeof(Channel), "Closed", typeof(bool));

    [Fact]
    [StacklessTest(ChannelContent, "TestTaskletContent.testAttributeTypeOnInstance_closed", "channel.closed")]
    public void TestAttributeTypeOnInstance_closed() => Isolated.Run(() =>
    {
        Assert.False(new Channel().Closed);
    });

    [Fact]
    [StacklessTest(ChannelContent, "TestTaskletContent.testAttributeTypeOnClass_closing", "channel.closing")]
    public void TestAttributeTypeOnClass_closing() => AssertProperty(typeof(Channel), "Closing", typeof(bool));

    [Fact]
    [StacklessTest(ChannelContent, "TestTaskletContent.testAttributeTypeOnInstance_closing", "channel.closing")]
    public void TestAttributeTypeOnInstance_closing() => Isolated.Run(() =>
    {
        Assert.False(new Channel().Closing);
    });

    [Fact]
    [StacklessTest(ChannelContent, "TestTaskletContent.testAttributeTypeOnClass___next__", "channel.__next__")]
    public void TestAttributeTypeOnClass___next__() => AssertMethod(typeof(Channel<object?>.Enumerator), "MoveNext");

    [Fact]
    [StacklessTest(ChannelContent, "TestTaskletContent.testAttributeTypeOnInstance___next__", "channel.__next__")]
    public void TestAttributeTypeOnInstance___next__() => Isolated.Run(() =>
    {
        var c = new Channel<int>();
        var sender = Tasklet.Spawn(async () => await c.SendAsync(7));
        var e = c.GetEnumerator();
        Assert.True(e.MoveNext());
        Assert.Equal(7, e.Current);
        Scheduler.Run();
        Assert.False(sender.Alive);
    });

    [Fact]
    [StacklessTest(ChannelContent, "TestTaskletContent.testAttributeTypeOnClass_open", "channel.open")]
    public void TestAttributeTypeOnClass_open() => AssertMethod(typeof(Channel), "Open");

    [Fact]
    [StacklessTest(ChannelContent, "TestTaskletContent.testAttributeTypeOnInstance_open", "channel.open")]
    public void TestAttributeTypeOnInstance_open() => Isolated.Run(() =>
    {
        var c = new Channel();
        c.Close();
        c.Open();
        Assert.False(c.Closing);
    });

    [Fact]
    [StacklessTest(ChannelContent, "TestTaskletContent.testAttributeTypeOnClass_preference", "channel.preference")]
    public void TestAttributeTypeOnClass_preference() => AssertProperty(typeof(Channel), "Preference", typeof(int));

    [Fact]
    [StacklessTest(ChannelContent, "TestTaskletContent.testAttributeTypeOnInstance_preference", "channel.preference")]
    public void TestAttributeTypeOnInstance_preference() => Isolated.Run(() =>
    {
        Assert.Equal(-1, new Channel().Preference);
    });

    [Fact]
    [StacklessTest(ChannelContent, "TestTaskletContent.testAttributeTypeOnClass_queue", "channel.queue")]
    public void TestAttributeTypeOnClass_queue() => AssertProperty(typeof(Channel), "Queue", typeof(Tasklet));

    [Fact]
    [StacklessTest(ChannelContent, "TestTaskletContent.testAttributeTypeOnInstance_queue", "channel.queue")]
    public void TestAttributeTypeOnInstance_queue() => Isolated.Run(() =>
    {
        Assert.Null(new Channel().Queue);
    });

    [Fact]
    [StacklessTest(ChannelContent, "TestTaskletContent.testAttributeTypeOnClass_receive", "channel.receive")]
    public void TestAttributeTypeOnClass_receive() => AssertMethod(typeof(Channel), "Receive");

    [Fact]
    [StacklessTest(ChannelContent, "TestTaskletContent.testAttributeTypeOnInstance_receive", "channel.receive")]
    public void TestAttributeTypeOnInstance_receive() => Isolated.Run(() =>
    {
        var c = new Channel<int>();
        Tasklet.Spawn(async () => await c.SendAsync(3));
        Assert.Equal(3, c.Receive());
        Scheduler.Run();
    });

    [Fact]
    [StacklessTest(ChannelContent, "TestTaskletContent.testAttributeTypeOnClass_schedule_all", "channel.schedule_all")]
    public void TestAttributeTypeOnClass_schedule_all() => AssertProperty(typeof(Channel), "ScheduleAll", typeof(bool));

    [Fact]
    [StacklessTest(ChannelContent, "TestTaskletContent.testAttributeTypeOnInstance_schedule_all", "channel.schedule_all")]
    public void TestAttributeTypeOnInstance_schedule_all() => Isolated.Run(() =>
    {
        Assert.False(new Channel().ScheduleAll); // Stackless: int 0; C#: bool
    });

    [Fact]
    [StacklessTest(ChannelContent, "TestTaskletContent.testAttributeTypeOnClass_send", "channel.send")]
    public void TestAttributeTypeOnClass_send() => AssertMethod(typeof(Channel), "Send");

    [Fact]
    [StacklessTest(ChannelContent, "TestTaskletContent.testAttributeTypeOnInstance_send", "channel.send")]
    public void TestAttributeTypeOnInstance_send() => Isolated.Run(() =>
    {
        var c = new Channel<int>();
        var got = 0;
        Tasklet.Spawn(async () => got = await c.ReceiveAsync()).Run();
        c.Send(5);
        Assert.Equal(5, got);
    });

    [Fact]
    [StacklessTest(ChannelContent, "TestTaskletContent.testAttributeTypeOnClass_send_exception", "channel.send_exception")]
    public void TestAttributeTypeOnClass_send_exception() => AssertMethod(typeof(Channel), "SendException");

    [Fact]
    [StacklessTest(ChannelContent, "TestTaskletContent.testAttributeTypeOnInstance_send_exception", "channel.send_exception")]
    public void TestAttributeTypeOnInstance_send_exception() => Isolated.Run(() =>
    {
        var c = new Channel<int>();
        var caught = false;
        Tasklet.Spawn(async () =>
        {
            try
            {
                await c.ReceiveAsync();
            }
            catch (TestError)
            {
                caught = true;
            }
        }).Run();
        c.SendException(typeof(TestError), "x");
        Assert.True(caught);
    });

    [Fact]
    [StacklessTest(ChannelContent, "TestTaskletContent.testAttributeTypeOnClass_send_sequence", "channel.send_sequence")]
    public void TestAttributeTypeOnClass_send_sequence() => AssertMethod(typeof(Channel), "SendSequence");

    [Fact]
    [StacklessTest(ChannelContent, "TestTaskletContent.testAttributeTypeOnInstance_send_sequence", "channel.send_sequence")]
    public void TestAttributeTypeOnInstance_send_sequence() => Isolated.Run(() =>
    {
        var c = new Channel<int>();
        var got = new List<int>();
        Tasklet.Spawn(async () =>
        {
            got.Add(await c.ReceiveAsync());
            got.Add(await c.ReceiveAsync());
        });
        Assert.Equal(2, c.SendSequence([1, 2]));
        Assert.Equal([1, 2], got);
    });

    [Fact]
    [StacklessTest(ChannelContent, "TestTaskletContent.testAttributeTypeOnClass_send_throw", "channel.send_throw")]
    public void TestAttributeTypeOnClass_send_throw() => AssertMethod(typeof(Channel), "SendThrow");

    [Fact]
    [StacklessTest(ChannelContent, "TestTaskletContent.testAttributeTypeOnInstance_send_throw", "channel.send_throw")]
    public void TestAttributeTypeOnInstance_send_throw() => Isolated.Run(() =>
    {
        var c = new Channel<int>();
        var caught = false;
        Tasklet.Spawn(async () =>
        {
            try
            {
                await c.ReceiveAsync();
            }
            catch (TestError)
            {
                caught = true;
            }
        }).Run();
        c.SendThrow(new TestError("x"));
        Assert.True(caught);
    });
}
