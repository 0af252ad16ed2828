using System.Diagnostics;
using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Core;

/// <summary>
/// The edges of the channel operations: argument checks name the argument, a synchronous form in a soft tasklet names
/// itself and its asynchronous form (Stackless's "cannot block" rule applied per form), an asynchronous form used by a
/// main or hard tasklet completes synchronously with the value, code outside the tasklet world is served without
/// blocking a thread, the description and name, and the debugger's view of the queue.
/// </summary>
public class ChannelArgumentsAndFormsTests
{
    [Fact]
    public void Null_arguments_are_refused_by_name_before_anything_happens() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        Assert.Equal("exception", Assert.Throws<ArgumentNullException>(() => channel.SendException((Exception)null!)).ParamName);
        Assert.Equal("exception", Assert.Throws<ArgumentNullException>(() => channel.SendExceptionAsync((Exception)null!)).ParamName);
        Assert.Equal("exception", Assert.Throws<ArgumentNullException>(() => channel.SendThrow(null!)).ParamName);
        Assert.Equal("exception", Assert.Throws<ArgumentNullException>(() => channel.SendThrowAsync(null!)).ParamName);
        Assert.Equal("items", Assert.Throws<ArgumentNullException>(() => channel.SendSequence(null!)).ParamName);
        Exception? asyncError = null;
        Tasklet.Spawn(async () => asyncError = await Record.ExceptionAsync(async () => await channel.SendSequenceAsync(null!)));
        Scheduler.Run();
        Assert.Equal("items", Assert.IsType<ArgumentNullException>(asyncError).ParamName);
        Assert.Equal(0, channel.Balance);
    });

    [Fact]
    public void An_exception_type_that_is_no_exception_is_refused_with_Stacklesss_operation_name() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        Assert.Contains("channel.send_exception", Assert.Throws<ArgumentException>(() => channel.SendException(typeof(string))).Message, StringComparison.Ordinal);
        Assert.Contains("channel.send_exception", Assert.Throws<ArgumentException>(() => channel.SendExceptionAsync(typeof(string))).Message, StringComparison.Ordinal);
    });

    [Fact]
    public void Each_synchronous_form_in_a_soft_tasklet_names_itself_and_its_asynchronous_form() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var messages = new List<string>();
        Tasklet.Spawn(() =>
        {
            messages.Add(Assert.Throws<InvalidOperationException>(() => channel.Receive()).Message);
            messages.Add(Assert.Throws<InvalidOperationException>(() => channel.SendException(new InvalidTimeZoneException())).Message);
            messages.Add(Assert.Throws<InvalidOperationException>(() => channel.SendThrow(new InvalidTimeZoneException())).Message);
            messages.Add(Assert.Throws<InvalidOperationException>(() => channel.SendSequence([])).Message);
            messages.Add(Assert.Throws<InvalidOperationException>(() => channel.Send(1)).Message);
            return Task.CompletedTask;
        });
        Scheduler.Run();
        Assert.Equal(5, messages.Count);
        Assert.Contains("Channel.Receive()", messages[0], StringComparison.Ordinal);
        Assert.Contains("channel.SendExceptionAsync()", messages[1], StringComparison.Ordinal);
        Assert.Contains("Channel.SendException()", messages[1], StringComparison.Ordinal);
        Assert.Contains("Channel.SendThrow()", messages[2], StringComparison.Ordinal);
        Assert.Contains("channel.SendThrowAsync()", messages[2], StringComparison.Ordinal);
        Assert.Contains("Channel.SendSequence()", messages[3], StringComparison.Ordinal);
        Assert.Contains("channel.SendSequenceAsync()", messages[3], StringComparison.Ordinal);
        Assert.Contains("Channel.Send()", messages[4], StringComparison.Ordinal);
        Assert.Contains("channel.SendAsync()", messages[4], StringComparison.Ordinal);
        Assert.Equal(0, channel.Balance);
    });

    [Fact]
    public void A_hard_tasklet_is_the_current_tasklet_of_its_synchronous_forms_and_a_killed_sender_lets_its_value_go() => Isolated.Run(() =>
    {
        var channel = new Channel<object>();
        Tasklet? seen = null;
        var hard = Tasklet.SpawnHard(() =>
        {
            seen = Tasklet.Current; // the executing tasklet is the hard one, not main
            Assert.Equal("from main", channel.Receive());
        });
        channel.Send("from main");
        Scheduler.Run();
        Assert.Same(hard, seen);
        Assert.False(seen!.IsMain);

        var (value, deadSender) = SendAndKill(channel);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.False(value.IsAlive); // the dead sender, still referenced here, holds no reference to what it was sending
        Assert.False(deadSender.Alive);
        Assert.Contains("Scheduler of thread", Scheduler.Describe(), StringComparison.Ordinal);
    });

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static (WeakReference Value, Tasklet Sender) SendAndKill(Channel<object> channel)
    {
        var payload = new object();
        var sender = Tasklet.Spawn(async () => await channel.SendAsync(payload));
        Scheduler.Run(); // it waits with the payload in its fields
        sender.Kill();
        return (new WeakReference(payload), sender);
    }

    [Fact]
    public void Scheduler_Run_in_a_soft_tasklet_says_as_Stackless_that_run_belongs_to_main() => Isolated.Run(() =>
    {
        var messages = new List<string>();
        Tasklet.Spawn(() =>
        {
            messages.Add(Assert.Throws<InvalidOperationException>(Scheduler.Run).Message);
            messages.Add(Assert.Throws<InvalidOperationException>(() => Scheduler.Run(TimeSpan.FromSeconds(1))).Message);
            return Task.CompletedTask;
        });
        Scheduler.Run();
        Assert.Equal(2, messages.Count);
        Assert.All(messages, m => Assert.StartsWith("run() must be run from the main tasklet", m, StringComparison.Ordinal));
        Assert.All(messages, m => Assert.Contains("await Scheduler.ScheduleAsync()", m, StringComparison.Ordinal));
    });

    [Fact]
    public void ReceiveAsync_used_by_a_hard_tasklet_completes_at_once_with_the_value() => Isolated.Run(() =>
    {
        // References: a value taken out of the tasklet's fields twice would come back null the second time.
        var channel = new Channel<string>();
        var received = new List<string>();
        Tasklet.Spawn(async () =>
        {
            await channel.SendAsync("1");
            await channel.SendAsync("2");
        });
        Tasklet.SpawnHard(() =>
        {
            var first = channel.ReceiveAsync(); // a sender may or may not wait: either way the form completes synchronously
            Assert.True(first.IsCompleted);
            received.Add(first.GetResult());
            received.Add(channel.ReceiveAsync().GetResult());
        });
        Scheduler.Run();
        Assert.Equal(["1", "2"], received);
    });

    [Fact]
    public void Code_outside_the_tasklet_world_waits_in_the_channel_without_a_thread_and_is_served_by_main() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var sending = Task.Run(async () => await channel.SendAsync(41)); // a thread-pool thread: it waits, blocking nothing
        Assert.True(SpinWait.SpinUntil(() => channel.Balance == 1, Isolated.Timeout));
        Assert.Equal(41, channel.Receive());
        sending.GetAwaiter().GetResult(); // completed by main's receive

        var receiving = Task.Run(async () => await channel.ReceiveAsync());
        Assert.True(SpinWait.SpinUntil(() => channel.Balance == -1, Isolated.Timeout));
        channel.Send(42);
        Assert.Equal(42, receiving.GetAwaiter().GetResult());
        Assert.Equal(0, channel.Balance);
    });

    [Fact]
    public void Describe_names_the_channel_and_says_closing_or_closed_and_a_name_can_be_removed() => Isolated.Run(() =>
    {
        var channel = new Channel<int> { Name = "pipe" };
        Assert.Equal("pipe (balance 0, preference -1)", channel.Describe());
        var sender = Tasklet.Spawn(async () => await channel.SendAsync(1));
        Scheduler.Run();
        channel.Close();
        Assert.Equal("pipe (balance 1, preference -1, closing)", channel.ToString());
        Assert.Equal(1, channel.Receive());
        Assert.Equal("pipe (balance 0, preference -1, closed)", channel.Describe());
        channel.Name = null;
        Assert.Null(channel.Name);
        Assert.StartsWith("Channel<Int32>#", channel.Describe(), StringComparison.Ordinal);
        Scheduler.Run();
        Assert.False(sender.Alive);
    });

    [Fact]
    public void The_debugger_view_lists_the_waiting_tasklets_in_order() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var first = Tasklet.Spawn(async () => await channel.SendAsync(1));
        var second = Tasklet.Spawn(async () => await channel.SendAsync(2));
        Scheduler.Run();

        var proxyType = typeof(Channel<int>).GetCustomAttributes(typeof(DebuggerTypeProxyAttribute), false)
            .Cast<DebuggerTypeProxyAttribute>().Single().ProxyTypeName;
        var proxy = Activator.CreateInstance(Type.GetType(proxyType)!.MakeGenericType(typeof(int)), channel)!;
        var waiting = (Tasklet[])proxy.GetType().GetProperty("Waiting")!.GetValue(proxy)!;
        Assert.Equal([first, second], waiting);

        Assert.Equal(1, channel.Receive());
        Assert.Equal(2, channel.Receive());
        waiting = (Tasklet[])proxy.GetType().GetProperty("Waiting")!.GetValue(proxy)!;
        Assert.Empty(waiting);
        Scheduler.Run();
    });

    [Fact]
    public void Waiters_left_by_a_thread_that_ended_are_dropped_neither_served_nor_serving() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        Tasklet? orphan = null;
        var thread = new Thread(() =>
        {
            orphan = Tasklet.Spawn(async () => await channel.SendAsync(5));
            Scheduler.Run(); // it blocks on the channel; the thread then ends with its tasklet waiting
        });
        thread.Start();
        thread.Join();
        Assert.Equal(1, channel.Balance);

        Assert.False(channel.TryReceive(out _)); // its thread has ended: it can never run, so no value comes from it
        Assert.Equal(0, channel.Balance);
        Assert.False(orphan!.Alive);

        // The same for a waiting receiver, met by a blocking send (which then finds nobody).
        thread = new Thread(() =>
        {
            orphan = Tasklet.Spawn(async () => await channel.ReceiveAsync());
            Scheduler.Run();
        });
        thread.Start();
        thread.Join();
        Assert.Equal(-1, channel.Balance);
        Assert.Throws<DeadlockException>(() => channel.Send(1));
        Assert.Equal(0, channel.Balance);
        Assert.False(orphan!.Alive);

        // A waiting sender, met by a blocking receive: the value comes from a live sender, not from the dead one.
        thread = new Thread(() =>
        {
            orphan = Tasklet.Spawn(async () => await channel.SendAsync(13));
            Scheduler.Run();
        });
        thread.Start();
        thread.Join();
        Assert.Equal(1, channel.Balance);
        Tasklet.Spawn(async () => await channel.SendAsync(42));
        Assert.Equal(42, channel.Receive());
        Assert.Equal(0, channel.Balance);
        Assert.False(orphan!.Alive);
        Scheduler.Run(); // the live sender ends
    });

    [Fact]
    public void Asynchronous_sends_from_outside_the_tasklet_world_complete_later_without_blocking_their_thread() => Isolated.Run(() =>
    {
        var channel = new Channel<object?>();
        var returned = new List<bool>(); // whether each awaitable was complete when SendAsync returned
        using var recorded = new SemaphoreSlim(0);
        var sends = Task.Run(async () =>
        {
            var send = channel.SendAsync("value");
            returned.Add(send.IsCompleted); // nobody receives before this is recorded
            recorded.Release();
            await send;
            var error = channel.SendExceptionAsync(new InvalidTimeZoneException("sent"));
            returned.Add(error.IsCompleted);
            recorded.Release();
            await error;
        });

        Assert.True(recorded.Wait(Stress.HangGuard)); // SendAsync returned: the pool thread is free while it waits
        Assert.Equal(1, channel.Balance);
        Assert.Equal("value", channel.Receive());
        Assert.True(recorded.Wait(Stress.HangGuard));
        Assert.Equal("sent", Assert.Throws<InvalidTimeZoneException>(() => channel.Receive()).Message);
        Assert.True(sends.Wait(Stress.HangGuard));
        Assert.Equal([false, false], returned);
    });
}
