using Stackless.Emu.Analyzers.CodeFixes;
using Stackless.Emu.Analyzers.Tests.Infrastructure;
using Verify = Stackless.Emu.Analyzers.Tests.Infrastructure.Verify<Stackless.Emu.Analyzers.TaskletBodyAnalyzer>;

namespace Stackless.Emu.Analyzers.Tests;

/// <summary>The code fix of SLE1001 and SLE1101: the synchronous form becomes the awaited asynchronous form.</summary>
public class SyncFormCodeFixTests
{
    [Theory]
    [InlineData("{|SLE1001:ch.Send(1)|};", "await ch.SendAsync(1);")]
    [InlineData("{|SLE1001:ch.Send(1, CancellationToken.None)|};", "await ch.SendAsync(1, CancellationToken.None);")]
    [InlineData("var v = {|SLE1001:ch.Receive()|};", "var v = await ch.ReceiveAsync();")]
    [InlineData("var n = {|SLE1001:ch.Receive()|} + 1;", "var n = await ch.ReceiveAsync() + 1;")]
    [InlineData("var s = {|SLE1001:ch.Receive()|}.ToString();", "var s = (await ch.ReceiveAsync()).ToString();")]
    [InlineData("{|SLE1001:ch.SendException(typeof(InvalidOperationException), \"no\")|};", "await ch.SendExceptionAsync(typeof(InvalidOperationException), \"no\");")]
    [InlineData("{|SLE1001:ch.SendThrow(new InvalidOperationException())|};", "await ch.SendThrowAsync(new InvalidOperationException());")]
    [InlineData("var sent = {|SLE1001:ch.SendSequence(new[] { 1 })|};", "var sent = await ch.SendSequenceAsync(new[] { 1 });")]
    [InlineData("{|SLE1001:Scheduler.Schedule()|};", "await Scheduler.ScheduleAsync();")]
    [InlineData("{|SLE1001:Scheduler.ScheduleRemove()|};", "await Scheduler.ScheduleRemoveAsync();")]
    [InlineData("{|SLE1001:Scheduler.Sleep(TimeSpan.Zero)|};", "await Scheduler.SleepAsync(TimeSpan.Zero);")]
    [InlineData("var r = {|SLE1001:Scheduler.BlockingCall<int>(() => 1)|};", "var r = await Scheduler.BlockingCallAsync<int>(() => 1);")]
    [InlineData("{|SLE1001:Scheduler.PreemptionPoint()|};", "await Scheduler.PreemptionPointAsync();")]
    [InlineData("{|SLE1001:Scheduler.WaitFor(task)|};", "await task;")]
    [InlineData("var r = {|SLE1001:Scheduler.WaitFor(result)|};", "var r = await result;")]
    [InlineData("{|SLE1001:t.Run()|};", "await t.RunAsync();")]
    [InlineData("{|SLE1001:t.Switch()|};", "await t.SwitchAsync();")]
    [InlineData("{|SLE1001:t.Kill()|};", "await t.KillAsync();")]
    [InlineData("{|SLE1001:t.Throw(new InvalidOperationException())|};", "await t.ThrowAsync(new InvalidOperationException());")]
    [InlineData("{|SLE1001:t.RaiseException(typeof(InvalidOperationException))|};", "await t.RaiseExceptionAsync(typeof(InvalidOperationException));")]
    [InlineData("{|SLE1001:foreach (var x in ch)|} { }", "await foreach (var x in ch) { }")]
    [InlineData("{|SLE1001:foreach (var (a, b) in pairs)|} { }", "await foreach (var (a, b) in pairs) { }")]
    public Task The_synchronous_form_becomes_the_awaited_async_form(string statement, string fixedStatement) =>
        Verify.CodeFixAsync<SyncFormCodeFixProvider>(InBody(statement), InBody(fixedStatement));

    [Fact]
    public Task Comments_and_layout_around_the_call_stay() => Verify.CodeFixAsync<SyncFormCodeFixProvider>(
        InBody("""
            // hand the value over
            {|SLE1001:ch.Send(1)|}; // and wait
            /* each */ {|SLE1001:foreach (var x in ch)|}
            {
            }
            """),
        InBody("""
            // hand the value over
            await ch.SendAsync(1); // and wait
            /* each */ await foreach (var x in ch)
            {
            }
            """));

    [Fact]
    public Task A_called_async_method_is_fixed_too() => Verify.CodeFixAsync<SyncFormCodeFixProvider>(
        Sources.Class("""
            void M(Channel<int> ch)
            {
                Tasklet.Spawn(() => ProduceAsync(ch));
            }

            static async Task ProduceAsync(Channel<int> ch)
            {
                {|SLE1101:ch.Send(1)|};
                await Task.Yield();
            }
        """),
        Sources.Class("""
            void M(Channel<int> ch)
            {
                Tasklet.Spawn(() => ProduceAsync(ch));
            }

            static async Task ProduceAsync(Channel<int> ch)
            {
                await ch.SendAsync(1);
                await Task.Yield();
            }
        """),
        compilationEnd: true);

    [Fact]
    public Task Scheduler_Run_has_no_async_twin_and_gets_no_fix()
    {
        var source = InBody("{|SLE1001:Scheduler.Run()|};");
        return Verify.CodeFixAsync<SyncFormCodeFixProvider>(source, source);
    }

    private static string InBody(string statements) => Sources.Method($$"""
                var pairs = new Channel<(int, int)>();
                Tasklet.Spawn(async () =>
                {
                    {{statements}}
                    await Task.Yield();
                });
        """);
}
