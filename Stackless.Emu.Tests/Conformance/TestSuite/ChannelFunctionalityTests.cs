using Stackless.Emu.Tests.Infrastructure;
using static Stackless.Emu.Tests.Conformance.TestSuite.TestSuiteSupport;

namespace Stackless.Emu.Tests.Conformance.TestSuite;

/// <summary>Port of stackless_testsuite/v3_1/channel/test_functionality.py.</summary>
public class ChannelFunctionalityTests
{
    [Fact]
    [StacklessTest(ChannelFunctionality, "ChannelTest.testSig_constructor", "channel")]
    public void TestSig_constructor()
    {
        // Portable core: a new channel is empty, open, prefers the receiver.
        IChannel[] channels = [new Channel(), new Channel<int>(), new Channel<string>()];
        foreach (var c in channels)
        {
            Assert.Equal(0, c.Balance);
            Assert.Equal(-1, c.Preference);
            Assert.False(c.ScheduleAll);
            Assert.False(c.Closing);
            Assert.Null(c.Queue);
        }
    }

    [Fact]
    [StacklessTest(ChannelFunctionality, "ChannelTest.testSig_send", "channel.send", "channel.receive")]
    public void TestSig_send() => Isolated.Run(() =>
    {
        var c = new Channel();
        object? got = null;
        Tasklet.Spawn(async () => got = await c.ReceiveAsync());
        Scheduler.Run();
        c.Send("value");
        Assert.Equal("value", got);
    });

    [Fact]
    [StacklessTest(ChannelFunctionality, "ChannelTest.testSig_send_exception", "channel.send_exception", "channel.receive")]
    public void TestSig_send_exception() => Isolated.Run(() =>
    {
        var c = new Channel();
        var caught = new List<string>();
        Tasklet.Spawn(async () =>
        {
            for (var i = 0; i < 2; i++)
            {
                try
                {
                    await c.ReceiveAsync();
                }
                catch (TestError e)
                {
                    caught.Add(e.Message);
                }
            }
        });
        Scheduler.Run();
        c.SendException(typeof(TestError));
        c.SendException(typeof(TestError), "with args");
        Assert.Equal(2, caught.Count);
        Assert.Equal("with args", caught[1]);
    });

    [Fact]
    [StacklessTest(ChannelFunctionality, "ChannelTest.testSig_send_throw", "channel.send_throw", "channel.receive")]
    public void TestSig_send_throw() => Isolated.Run(() =>
    {
        var c = new Channel();
        var error = new TestError("thrown");
        Exception? caught = null;
        Tasklet.Spawn(async () =>
        {
            try
            {
                await c.ReceiveAsync();
            }
            catch (TestError e)
            {
                caught = e;
            }
        });
        Scheduler.Run();
        c.SendThrow(error);
        Assert.Same(error, caught);
    });

    [Fact]
    [StacklessTest(ChannelFunctionality, "ChannelTest.testSig_send_sequence", "channel.send_sequence", "channel.receive")]
    public void TestSig_send_sequence() => Isolated.Run(() =>
    {
        var c = new Channel<int>();
        var got = new List<int>();
        Tasklet.Spawn(async () =>
        {
            for (var i = 0; i < 42; i++)
            {
                got.Add(await c.ReceiveAsync());
            }
        });
        Scheduler.Run();
        Assert.Equal(42, c.SendSequence(Enumerable.Range(0, 42)));
        Assert.Equal(Enumerable.Range(0, 42), got);
    });

    [Fact]
    [StacklessTest(ChannelFunctionality, "ChannelTest.testSig___iter__", "channel.__iter__")]
    public void TestSig___iter__() => Isolated.Run(() =>
    {
        // Portable core: iterating a channel receives from that very channel.
        var c = new Channel<int>();
        Tasklet.Spawn(async () => await c.SendAsync(11));
        using var e = c.GetEnumerator();
        Assert.True(e.MoveNext());
        Assert.Equal(11, e.Current);
        Scheduler.Run();
    });

    [Fact]
    [StacklessTest(ChannelFunctionality, "ChannelTest.testSig_next", "channel.__next__", "channel.send_sequence", "channel.send_exception", "stackless.run")]
    public void TestSig_next() => Isolated.Run(() =>
    {
        var c = new Channel<int>();
        Tasklet.Spawn(async () =>
        {
            await c.SendSequenceAsync([0, 1]);
            await c.SendExceptionAsync(typeof(StopIteration));
        });
        Scheduler.Run();
        Assert.Equal([0, 1], c.ToList());
        Scheduler.Run(); // the sender, appended when its StopIteration was taken, ends
    });

    [Fact]
    [StacklessTest(ChannelFunctionality, "ChannelTest.testSig_open", "channel.open")]
    public void TestSig_open()
    {
        var c = new Channel();
        c.Open();
        Assert.False(c.Closing);
        c.Close();
        c.Open();
        Assert.False(c.Closing);
    }

    [Fact]
    [StacklessTest(ChannelFunctionality, "ChannelTest.testSig_close", "channel.close")]
    public void TestSig_close()
    {
        var c = new Channel();
        c.Close();
        Assert.True(c.Closing);
        Assert.True(c.Closed);
    }

    [Fact]
    [StacklessTest(ChannelFunctionality, "ChannelTest.testAttr_preference", "channel.preference")]
    public void TestAttr_preference()
    {
        // The TypeError for non-integers (2.5, overlong ints) cannot happen with an int property.
        var c = new Channel();
        Assert.Equal(-1, c.Preference);
        c.Preference = 0;
        Assert.Equal(0, c.Preference);
        c.Preference = 1;
        Assert.Equal(1, c.Preference);
        c.Preference = -1;
        Assert.Equal(-1, c.Preference);
        c.Preference = 2;
        Assert.Equal(1, c.Preference);
        c.Preference = -2;
        Assert.Equal(-1, c.Preference);
        c.Preference = int.MaxValue;
        Assert.Equal(1, c.Preference);
        c.Preference = int.MinValue;
        Assert.Equal(-1, c.Preference);
    }

    [Fact]
    [StacklessTest(ChannelFunctionality, "ChannelTest.testAttr_schedule_all", "channel.schedule_all")]
    public void TestAttr_schedule_all()
    {
        // Stackless stores any integer as 0/1; the C# property is a bool.
        var c = new Channel();
        Assert.False(c.ScheduleAll);
        c.ScheduleAll = true;
        Assert.True(c.ScheduleAll);
        c.ScheduleAll = false;
        Assert.False(c.ScheduleAll);
    }

    [Fact]
    [StacklessTest(ChannelFunctionality, "ChannelTest.testAttr_balance", "channel.balance", "channel.send", "channel.receive", "tasklet.kill", "stackless.run")]
    public void TestAttr_balance() => Isolated.Run(() =>
    {
        var c = new Channel();
        Assert.Equal(0, c.Balance);
        var t = Tasklet.Spawn(async () => await c.SendAsync(null));
        Scheduler.Run();
        Assert.Equal(1, c.Balance);
        var t2 = Tasklet.Spawn(async () => await c.SendAsync(null));
        Scheduler.Run();
        Assert.Equal(2, c.Balance);
        t.Kill();
        Assert.Equal(1, c.Balance);
        t2.Kill();
        Assert.Equal(0, c.Balance);
        t = Tasklet.Spawn(async () => await c.ReceiveAsync());
        Scheduler.Run();
        Assert.Equal(-1, c.Balance);
        t2 = Tasklet.Spawn(async () => await c.ReceiveAsync());
        Scheduler.Run();
        Assert.Equal(-2, c.Balance);
        t.Kill();
        Assert.Equal(-1, c.Balance);
        t2.Kill();
        Assert.Equal(0, c.Balance);
    });

    [Fact]
    [StacklessTest(ChannelFunctionality, "ChannelTest.testAttr_closing_closed", "channel.closing", "channel.closed", "channel.close", "channel.open", "tasklet.kill")]
    public void TestAttr_closing_closed() => Isolated.Run(() =>
    {
        var c = new Channel();
        Assert.False(c.Closing);
        Assert.False(c.Closed);
        var t = Tasklet.Spawn(async () => await c.SendAsync(null));
        Scheduler.Run();
        Assert.False(c.Closing);
        Assert.False(c.Closed);
        c.Close();
        Assert.True(c.Closing);
        Assert.False(c.Closed);
        t.Kill();
        Assert.True(c.Closing);
        Assert.True(c.Closed);
        c.Open();
        Assert.False(c.Closing);
        Assert.False(c.Closed);
    });

    [Fact]
    [StacklessTest(ChannelFunctionality, "ChannelTest.testAttr_queue", "channel.queue", "channel.send", "tasklet.next")]
    public void TestAttr_queue() => Isolated.Run(() =>
    {
        var c = new Channel();
        Assert.Null(c.Queue);
        var t = Tasklet.Spawn(async () => await c.SendAsync(null));
        Scheduler.Run();
        Assert.Same(t, c.Queue);
        var t2 = Tasklet.Spawn(async () => await c.SendAsync(null));
        Scheduler.Run();
        Assert.Same(t, c.Queue);
        Assert.Same(t2, t.Next);
        t.Kill();
        t2.Kill();
    });
}
