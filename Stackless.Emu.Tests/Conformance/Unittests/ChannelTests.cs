using System.Diagnostics;
using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Conformance.Unittests;

/// <summary>Ports of Stackless/unittests/test_channel.py.</summary>
public class ChannelTests
{
    private const string File = "Stackless/unittests/test_channel.py";

    [Fact]
    [StacklessTest(File, "TestChannels.testBlockingSend", "channel.send", "tasklet.run", "tasklet.blocked", "channel.balance")]
    public void TestBlockingSend() => Isolated.Run(() =>
    {
        var channel = new Channel();
        var tasklet = Tasklet.Spawn(async () => await channel.SendAsync(1));
        tasklet.Run();
        Assert.True(tasklet.Blocked, "the tasklet should have blocked on the channel waiting for a receiver");
        Assert.Equal(1, channel.Balance);
        tasklet.Kill();
    });

    [Fact]
    [StacklessTest(File, "TestChannels.testBlockingReceive", "channel.receive", "tasklet.run", "tasklet.blocked", "channel.balance")]
    public void TestBlockingReceive() => Isolated.Run(() =>
    {
        var channel = new Channel();
        var tasklet = Tasklet.Spawn(async () => await channel.ReceiveAsync());
        tasklet.Run();
        Assert.True(tasklet.Blocked, "the tasklet should have blocked on the channel waiting for a sender");
        Assert.Equal(-1, channel.Balance);
        tasklet.Kill();
    });

    [Fact]
    [StacklessTest(File, "TestChannels.testNonBlockingSend", "channel.send", "channel.receive", "tasklet.block_trap")]
    public void TestNonBlockingSend() => Isolated.Run(() =>
    {
        var received = new List<object?>();
        var channel = new Channel();
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
    [StacklessTest(File, "TestChannels.testNonBlockingReceive", "channel.receive", "channel.send", "tasklet.block_trap", "tasklet.kill")]
    public void TestNonBlockingReceive() => Isolated.Run(() =>
    {
        var channel = new Channel();
        var tasklet = Tasklet.Spawn(async () => await channel.SendAsync(1));
        tasklet.Run();

        object? value;
        var old = Tasklet.Current.BlockTrap;
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
    [StacklessTest(File, "TestChannels.testMainTaskletBlockingWithoutASender", "channel.receive", "stackless.getruncount")]
    public void TestMainTaskletBlockingWithoutASender() => Isolated.Run(() =>
    {
        Assert.Equal(1, Scheduler.RunCount);
        var channel = new Channel();
        var error = Assert.ThrowsAny<InvalidOperationException>(() => channel.Receive());
        Assert.IsType<DeadlockException>(error);
        Assert.Equal(0, channel.Balance);
    });

    [Fact]
    [StacklessTest(File, "TestChannels.testInterthreadCommunication", "channel.send", "channel.receive", "stackless.run", "tasklet.alive")]
    public void TestInterthreadCommunication() => Isolated.Run(() =>
    {
        Assert.Equal(1, Scheduler.RunCount);
        var commands = new Channel<string>();
        var received = new List<string>();

        static void SchedulerRun(Func<Task> body)
        {
            var tasklet = Tasklet.Spawn(body);
            while (tasklet.Alive)
            {
                Scheduler.Run();
            }
        }

        var thread = new Thread(() => SchedulerRun(async () =>
        {
            await commands.SendAsync("ECHO 1");
            await commands.SendAsync("ECHO 2");
            await commands.SendAsync("ECHO 3");
            await commands.SendAsync("QUIT");
        }));
        thread.Start();

        SchedulerRun(async () =>
        {
            while (true)
            {
                var command = await commands.ReceiveAsync();
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
    [StacklessTest(File, "TestChannels.testSendException", "channel.send_exception", "channel.receive")]
    public void TestSendException() => Isolated.Run(() =>
    {
        var channel = new Channel();
        Func<Task> f = async () => await channel.SendExceptionAsync(typeof(ArgumentException), "1 2 3", "param");

        Tasklet.Spawn(f).Run();
        Assert.Throws<ArgumentException>(() => channel.Receive());

        Tasklet.Spawn(f).Run();
        var error = Assert.Throws<ArgumentException>(() => channel.Receive());
        Assert.Equal("param", error.ParamName);
        Assert.StartsWith("1 2 3", error.Message, StringComparison.Ordinal);
        Scheduler.Run();
    });

    [Fact]
    [StacklessTest(File, "TestChannels.testSendThrow", "channel.send_throw", "channel.receive")]
    public void TestSendThrow() => Isolated.Run(() =>
    {
        var channel = new Channel();

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        static void Bar() => throw new ArgumentException("1 2 3");

        Func<Task> f = async () =>
        {
            Exception? caught = null;
            try
            {
                Bar();
            }
            catch (ArgumentException ex)
            {
                caught = ex;
            }

            await channel.SendThrowAsync(caught!);
        };

        Tasklet.Spawn(f).Run();
        Assert.Throws<ArgumentException>(() => channel.Receive());

        Tasklet.Spawn(f).Run();
        var error = Assert.Throws<ArgumentException>(() => channel.Receive());
        Assert.Equal("1 2 3", error.Message);

        // The traceback is kept: the innermost frame of the received exception is bar().
        var frames = new StackTrace(error).GetFrames();
        Assert.Contains(nameof(Bar), frames[0].GetMethod()!.Name, StringComparison.Ordinal);
        Scheduler.Run();
    });

    [Fact]
    [StacklessTest(File, "TestChannels.testBlockTrapSend", "tasklet.block_trap", "channel.send", "stackless.run")]
    public void TestBlockTrapSend() => Isolated.Run(() =>
    {
        var channel = new Channel();
        var count = 0;

        void F(Action send)
        {
            var old = Tasklet.Current.BlockTrap;
            Tasklet.Current.BlockTrap = true;
            try
            {
                var error = Assert.ThrowsAny<InvalidOperationException>(send);
                Assert.Equal("this tasklet does not like to be blocked.", error.Message);
            }
            finally
            {
                Tasklet.Current.BlockTrap = old;
            }

            count++;
        }

        F(() => channel.Send(null));
        Tasklet.Spawn(async () =>
        {
            var old = Tasklet.Current.BlockTrap;
            Tasklet.Current.BlockTrap = true;
            try
            {
                await Assert.ThrowsAnyAsync<InvalidOperationException>(async () => await channel.SendAsync(null));
            }
            finally
            {
                Tasklet.Current.BlockTrap = old;
            }

            count++;
        });
        Scheduler.Run();
        Assert.Equal(2, count);
        Assert.Equal(0, channel.Balance);
    });

    [Fact]
    [StacklessTest(File, "TestChannels.testBlockTrapRecv", "tasklet.block_trap", "channel.receive", "stackless.run")]
    public void TestBlockTrapRecv() => Isolated.Run(() =>
    {
        var channel = new Channel();
        var count = 0;

        var old = Tasklet.Current.BlockTrap;
        Tasklet.Current.BlockTrap = true;
        try
        {
            Assert.IsType<BlockTrapException>(Assert.ThrowsAny<InvalidOperationException>(() => channel.Receive()));
        }
        finally
        {
            Tasklet.Current.BlockTrap = old;
        }

        count++;
        Tasklet.Spawn(async () =>
        {
            var old = Tasklet.Current.BlockTrap;
            Tasklet.Current.BlockTrap = true;
            try
            {
                await Assert.ThrowsAsync<BlockTrapException>(async () => await channel.ReceiveAsync());
            }
            finally
            {
                Tasklet.Current.BlockTrap = old;
            }

            count++;
        });
        Scheduler.Run();
        Assert.Equal(2, count);
        Assert.Equal(0, channel.Balance);
    });

    [Fact]
    [StacklessTest(File, "TestClose.testSequence", "channel.send_sequence", "channel.close", "channel.closing", "channel.closed", "channel.send", "channel.__iter__")]
    public void TestSequence() => Isolated.Run(() =>
    {
        var channel = new Channel();
        var data = new List<object?>();
        Tasklet.Spawn(async () =>
        {
            await channel.SendSequenceAsync(Enumerable.Range(0, 10).Cast<object?>());
            channel.Close();

            // close() does not wake a receiver: pump it until the channel is closed.
            while (channel.Closing && !channel.Closed)
            {
                await channel.SendAsync(null);
            }
        });
        Tasklet.Spawn(async () =>
        {
            await foreach (var item in channel)
            {
                data.Add(item);
            }

            while (data[^1] is null)
            {
                data.RemoveAt(data.Count - 1);
            }

            data.Add(10);
        });
        Scheduler.Run();
        Assert.Equal(Enumerable.Range(0, 11).Cast<object?>(), data);
        Assert.True(channel.Closed);
    });

    [Fact]
    [StacklessTest(File, "TestClose.testSequence2", "channel.send_sequence", "channel.send_exception", "channel.close", "channel.closed", "channel.__iter__")]
    public void TestSequence2() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var data = new List<int>();
        Tasklet.Spawn(async () =>
        {
            var length = await channel.SendSequenceAsync(Enumerable.Range(0, 10));
            Assert.Equal(10, length);
            await channel.SendExceptionAsync(typeof(StopIteration));
            channel.Close();
        });
        Tasklet.Spawn(async () =>
        {
            await foreach (var item in channel)
            {
                data.Add(item);
            }
        });
        Scheduler.Run();
        Assert.Equal(Enumerable.Range(0, 10), data);
        Assert.True(channel.Closed);
    });

    [Fact]
    [StacklessTest(File, "TestClose.testSender", "channel.close", "channel.send")]
    public void TestSender() => Isolated.Run(() =>
    {
        var channel = new Channel();
        channel.Close();
        var error = Assert.Throws<ChannelClosedException>(() => channel.Send(null));
        Assert.Equal("Send/receive operation on a closed channel", error.Message);
    });

    [Fact]
    [StacklessTest(File, "TestClose.testReceiver", "channel.close", "channel.receive")]
    public void TestReceiver() => Isolated.Run(() =>
    {
        var channel = new Channel();
        channel.Close();
        var error = Assert.Throws<ChannelClosedException>(() => channel.Receive());
        Assert.Equal("Send/receive operation on a closed channel", error.Message);
    });

    [Fact]
    [StacklessTest(File, "TestClose.testIterator", "channel.close", "channel.__iter__", "channel.__next__")]
    public void TestIterator() => Isolated.Run(() =>
    {
        var channel = new Channel();
        channel.Close();
        using var iterator = channel.GetEnumerator();
        Assert.False(iterator.MoveNext());
    });

    private sealed class NamedChannel : Channel
    {
        public NamedChannel(string name) => Name = name;
    }

    [Fact]
    [StacklessTest(File, "Subclassing.test_init", "channel")]
    public void Test_init() => Isolated.Run(() =>
    {
        var channel = new NamedChannel("bong");
        Assert.Equal("bong", channel.Name);
        Assert.Equal(0, channel.Balance);
        Assert.Equal(-1, channel.Preference);
    });
}
