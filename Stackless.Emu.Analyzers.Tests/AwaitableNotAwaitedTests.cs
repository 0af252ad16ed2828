using Stackless.Emu.Analyzers.Tests.Infrastructure;
using Verify = Stackless.Emu.Analyzers.Tests.Infrastructure.Verify<Stackless.Emu.Analyzers.AwaitableNotAwaitedAnalyzer>;

namespace Stackless.Emu.Analyzers.Tests;

/// <summary>SLE1004: a SwitchAwaitable or ReceiveAwaitable that is never awaited, wherever it is.</summary>
public class AwaitableNotAwaitedTests
{
    [Theory]
    [InlineData("{|SLE1004:ch.SendAsync(1)|};")]
    [InlineData("{|SLE1004:ch.ReceiveAsync()|};")]
    [InlineData("{|SLE1004:Scheduler.ScheduleAsync()|};")]
    [InlineData("{|SLE1004:t.KillAsync()|};")]
    [InlineData("_ = {|SLE1004:ch.SendThrowAsync(new InvalidOperationException())|};")]
    [InlineData("var never = {|SLE1004:ch.ReceiveAsync()|};")]
    [InlineData("var inspected = {|SLE1004:Scheduler.ScheduleAsync()|}; _ = inspected.IsCompleted;")]
    [InlineData("SwitchAwaitable later; later = {|SLE1004:t.KillAsync()|};")]
    [InlineData("TempValAwaitable later; later = {|SLE1004:t.SwitchAsync()|};")]
    [InlineData("{|SLE1004:t.RunAsync()|};")]
    [InlineData("_ = {|SLE1004:ch.SendAsync(1, CancellationToken.None)|};")]
    [InlineData("{|SLE1004:ch.ReceiveAsync(TimeSpan.FromSeconds(1))|};")]
    public Task A_dropped_awaitable_in_a_soft_tasklet_is_reported(string statement) =>
        Verify.AnalyzerAsync(Sources.InSoftTasklet(statement));

    [Fact]
    public Task A_dropped_awaitable_is_reported_outside_tasklets_too() => Verify.AnalyzerAsync(Sources.Method("""
                {|SLE1004:ch.SendAsync(1)|};
                Tasklet.SpawnHard(() => {|SLE1004:Scheduler.ScheduleAsync()|});
        """));

    [Fact]
    public Task The_message_names_the_awaitable_and_the_call() => Verify.AnalyzerAsync(
        Sources.InSoftTasklet("""
            {|#0:ch.ReceiveAsync()|};
            {|#1:Scheduler.ScheduleAsync()|};
            """),
        Verify.Diagnostic("SLE1004").WithLocation(0).WithArguments("ReceiveAwaitable<T>", "ch.ReceiveAsync"),
        Verify.Diagnostic("SLE1004").WithLocation(1).WithArguments("SwitchAwaitable", "Scheduler.ScheduleAsync"));

    [Fact]
    public Task Awaited_returned_or_passed_on_awaitables_are_not_reported() => Verify.AnalyzerAsync(Sources.InSoftTasklet(
        """
            await ch.SendAsync(1);
            _ = await ch.ReceiveAsync();
            var later = ch.ReceiveAsync();
            _ = await later;
            SwitchAwaitable assigned;
            assigned = Scheduler.ScheduleAsync();
            await assigned;
            await Pass(Scheduler.ScheduleAsync());
            Func<SwitchAwaitable> deferred = () => Scheduler.ScheduleAsync();
            var awaiter = t.RunAsync().GetAwaiter();
            """,
        """
            static SwitchAwaitable Pass(SwitchAwaitable awaitable) => awaitable;

            static SwitchAwaitable Yield() => Scheduler.ScheduleAsync();
        """));
}
