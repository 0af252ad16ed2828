using Stackless.Emu.Tests.Infrastructure;
using static Stackless.Emu.Tests.Conformance.TestSuite.TestSuiteSupport;

namespace Stackless.Emu.Tests.Conformance.TestSuite;

/// <summary>Port of stackless_testsuite/v3_1/channel/test_channel.py. ValueError on a closed channel maps to <see cref="ChannelClosedException"/>.</summary>
public class ChannelTests
{
    [Fact]
    [StacklessTest(ChannelChannel, "TestChannels.testBlockingSend", "channel.send", "tasklet.run", "tasklet.blocked", "channel.balance")]
    public void TestBlockingSend() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var tasklet = Tasklet.Spawn(async () => await channel.SendAsync(1));
        tasklet.Run();
        Assert.True(tasklet.Blocked);
        Assert.Equal(1, channel.Balance);
        tasklet.Kill();
    });

    [Fact]
    [StacklessTest(ChannelChannel, "TestChannels.testBlockingReceive", "channel.receive", "tasklet.run", "tasklet.blocked", "channel.balance")]
    public void TestBlockingReceive() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var tasklet = Tasklet.Spawn(async () => await channel.ReceiveAsync());
        tasklet.Run();
        Assert.True(tasklet.Blocked);
        Assert.Equal(-1, channel.Balance);
        tasklet.Kill();
    });

    [Fact]
    [StacklessTest(ChannelChannel, "TestChannels.testNonBlockingSend", "channel.send", "channel.receive", "tasklet.block_trap")]
    public void TestNonBlockingSend() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var received = new List<int>();
        var tasklet = Tasklet.Spawn(async () => received.Add(await channel.ReceiveAsync()));
        tasklet.Run();
        var old = Tasklet.Current.BlockTrap;
        try
        {
            Tasklet.Current.BlockTrap = true;
            channel.Send(1);
        }
        finally
        {
            Tasklet.Current.BlockTrap = old;
        }

        Assert.Equal([1], received);
    });

    [Fact]
    [StacklessTest(ChannelChannel, "TestChannels.testNonBlockingReceive", "channel.receive", "channel.send", "tasklet.block_trap", "tasklet.kill")]
    public void TestNonBlockingReceive() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var tasklet = Tasklet.Spawn(async () => await channel.SendAsync(1));
        tasklet.Run();
        var old = Tasklet.Current.BlockTrap;
        int value;
        try
        {
            Tasklet.Current.BlockTrap = true;
            value = channel.Receive();
        }
        finally
        {
            Tasklet.Current.BlockTrap = old;
        }

        tasklet.Kill();
        Assert.Equal(1, value);
    });

    [Fact]
    [StacklessTest(ChannelChannel, "TestChannels.testMainTaskletBlockingWithoutASender", "channel.receive", "stackless.getruncount")]
    public void TestMainTaskletBlockingWithoutASender() => Isolated.Run(() =>
    {
        Assert.Equal(1, Scheduler.RunCount);
        var c = new Channel();
        Assert.ThrowsAny<InvalidOperationException>(() => c.Receive());
    });

    [Fact]
    [StacklessTest(ChannelChannel, "TestChannels.testInterthreadCommunication", "channel.send", "channel.receive", "stackless.run", "tasklet.alive")]
    public void TestInterthreadCommunication() => Isolated.Run(() =>
    {
        Assert.Equal(1, Scheduler.RunCount);
        var commandChannel = new Channel<string>();
        var received = new List<string>();

        void SchedulerRun(Func<Task> body)
        {
            var t = Tasklet.Spawn(body);
            while (t.Alive)
            {
                Scheduler.Run();
            }
        }

        var thread = new Thread(() => SchedulerRun(async () =>
        {
            await commandChannel.SendAsync("ECHO 1");
            await commandChannel.SendAsync("ECHO 2");
            await commandChannel.SendAsync("ECHO 3");
            await commandChannel.SendAsync("QUIT");
        }));
        thread.Start();
        SchedulerRun(async () =>
        {
            while (true)
            {
                var command = await commandChannel.ReceiveAsync();
                received.Add(command);
                if (command == "QUIT")
                {
                    break;
                }
            }
        });
        Assert.True(thread.Join(Stress.HangGuard));
        Assert.Equal(["ECHO 1", "ECHO 2", "ECHO 3", "QUIT"], received);
    });

    [Fact]
    [StacklessTest(ChannelChannel, "TestChannels.testSendException", "channel.send_exception", "channel.receive")]
    public void TestSendException() => Isolated.Run(() =>
    {
        var channel = new Channel();
        var tasklet = Tasklet.Spawn(async () => await channel.SendExceptionAsync(typeof(ArgumentOutOfRangeException), "p", 42, "m"));
        tasklet.Run();
        Assert.Throws<ArgumentOutOfRangeException>(() => channel.Receive());

        tasklet = Tasklet.Spawn(async () => await channel.SendExceptionAsync(typeof(ArgumentOutOfRangeException), "p", 42, "m"));
        tasklet.Run();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => channel.Receive());
        Assert.Equal("p", e.ParamName);
        Assert.Equal(42, e.ActualValue);
        Scheduler.Run();
    });

    [Fact]
    [StacklessTest(ChannelChannel, "TestChannels.testSendThrow", "channel.send_throw", "channel.receive")]
    public void TestSendThrow() => Isolated.Run(() =>
    {
        var channel = new Channel();

        static void Bar() => throw new TestError("1, 2, 3");

        Func<Task> f = async () =>
        {
            try
            {
                Bar();
            }
            catch (TestError e)
            {
                await channel.SendThrowAsync(e);
            }
        };
        Tasklet.Spawn(f).Run();
        Assert.Throws<TestError>(() => channel.Receive());

        Tasklet.Spawn(f).Run();
        var error = Assert.Throws<TestError>(() => channel.Receive());
        Assert.Equal("1, 2, 3", error.Message);

        // The original stack trace is kept: its innermost frame is Bar.
        Assert.Contains("Bar", error.StackTrace!.Split('\n')[0], StringComparison.Ordinal);
        Scheduler.Run();
    });

    [Fact]
    [StacklessTest(ChannelChannel, "TestChannels.testBlockTrapSend", "tasklet.block_trap", "channel.send", "stackless.run")]
    public void TestBlockTrapSend() => Isolated.Run(() =>
    {
        var channel = new Channel();
        var count = 0;

        async Task F(bool soft)
        {
            var old = Tasklet.Current.BlockTrap;
            Tasklet.Current.BlockTrap = true;
            try
            {
                if (soft)
                {
                    await Assert.ThrowsAnyAsync<InvalidOperationException>(async () => await channel.SendAsync(null));
                }
                else
                {
                    Assert.ThrowsAny<InvalidOperationException>(() => channel.Send(null));
                }
            }
            finally
            {
                Tasklet.Current.BlockTrap = old;
            }

            count++;
        }

        F(false).GetAwaiter().GetResult();
        Tasklet.Spawn(() => F(true));
        Scheduler.Run();
        Assert.Equal(2, count);
    });

    [Fact]
    [StacklessTest(ChannelChannel, "TestChannels.testBlockTrapRecv", "tasklet.block_trap", "channel.receive", "stackless.run")]
    public void TestBlockTrapRecv() => Isolated.Run(() =>
    {
        var channel = new Channel();
        var count = 0;

        async Task F(bool soft)
        {
            var old = Tasklet.Current.BlockTrap;
            Tasklet.Current.BlockTrap = true;
            try
            {
                if (soft)
                {
                    await Assert.ThrowsAnyAsync<InvalidOperationException>(async () => await channel.ReceiveAsync());
                }
                else
                {
                    Assert.ThrowsAny<InvalidOperationException>(() => channel.Receive());
                }
            }
            finally
            {
                Tasklet.Current.BlockTrap = old;
            }

            count++;
        }

        F(false).GetAwaiter().GetResult();
        Tasklet.Spawn(() => F(true));
        Scheduler.Run();
        Assert.Equal(2, count);
    });

    [Fact]
    [StacklessTest(ChannelChannel, "TestClose.testSequence", "channel.send_sequence", "channel.send_throw", "channel.close", "channel.__iter__", "channel.closed")]
    public void TestSequence() => Isolated.Run(() =>
    {
        var c = new Channel<int>();
        var data = new List<int>();
        Tasklet.Spawn(async () =>
        {
            await c.SendSequenceAsync(Enumerable.Range(0, 10));
            await c.SendThrowAsync(new StopIteration());
            c.Close();
        });
        Tasklet.Spawn(async () =>
        {
            await foreach (var i in c)
            {
                data.Add(i);
            }

            data.Add(10);
        });
        Scheduler.Run();
        Assert.Equal(Enumerable.Range(0, 11), data);
        Assert.True(c.Closed);
    });

    [Fact]
    [StacklessTest(ChannelChannel, "TestClose.testSender", "channel.close", "channel.send")]
    public void TestSender() => Isolated.Run(() =>
    {
        var c = new Channel();
        c.Close();
        Assert.Throws<ChannelClosedException>(() => c.Send(null));
    });

    [Fact]
    [StacklessTest(ChannelChannel, "TestClose.testReceiver", "channel.close", "channel.receive")]
    public void TestReceiver() => Isolated.Run(() =>
    {
        var c = new Channel();
        c.Close();
        Assert.Throws<ChannelClosedException>(() => c.Receive());
    });

    [Fact]
    [StacklessTest(ChannelChannel, "TestClose.testIterator", "channel.close", "channel.__iter__", "channel.__next__")]
    public void TestIterator() => Isolated.Run(() =>
    {
        var c = new Channel();
        c.Close();
        using var i = c.GetEnumerator();
        Assert.False(i.MoveNext()); // StopIteration
    });

    [Fact]
    [StacklessTest(ChannelChannel, "Subclassing.test_init", "channel")]
    public void Test_init()
    {
        var c = new NamedChannel("bong");
        Assert.Equal("bong", c.Label);
        Assert.Equal(0, c.Balance);
    }

    private sealed class NamedChannel(string label) : Channel
    {
        public string Label { get; } = label;
    }
}
