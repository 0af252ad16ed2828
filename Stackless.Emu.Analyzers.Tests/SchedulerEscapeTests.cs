using Stackless.Emu.Analyzers.Tests.Infrastructure;
using Verify = Stackless.Emu.Analyzers.Tests.Infrastructure.Verify<Stackless.Emu.Analyzers.TaskletBodyAnalyzer>;

namespace Stackless.Emu.Analyzers.Tests;

/// <summary>SLE1002: ConfigureAwait(false) and other awaits that leave the scheduler thread, in a soft tasklet body.</summary>
public class SchedulerEscapeTests
{
    /// <summary>vs-threading's way to switch to a task scheduler, written out so the test needs no package for it.</summary>
    private const string SchedulerAwaiter = """
        }

        static class SchedulerAwaiting
        {
            public static System.Runtime.CompilerServices.ConfiguredTaskAwaitable.ConfiguredTaskAwaiter GetAwaiter(this TaskScheduler scheduler) =>
                Task.Factory.StartNew(() => { }, CancellationToken.None, TaskCreationOptions.None, scheduler).ConfigureAwait(false).GetAwaiter();
        """;

    [Theory]
    [InlineData("await {|SLE1002:task.ConfigureAwait(false)|};")]
    [InlineData("await {|SLE1002:Task.Delay(1).ConfigureAwait(false)|};")]
    [InlineData("await {|SLE1002:Task.Run(() => 1).ConfigureAwait(false)|};")]
    [InlineData("_ = await {|SLE1002:value.ConfigureAwait(false)|};")]
    [InlineData("await {|SLE1002:task.ConfigureAwait(ConfigureAwaitOptions.None)|};")]
    [InlineData("await {|SLE1002:task.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing)|};")]
    [InlineData("await foreach (var x in {|SLE1002:ch.ConfigureAwait(false)|}) { }")]
    [InlineData("await using (var d = {|SLE1002:new System.IO.MemoryStream().ConfigureAwait(false)|}) { }")]
    [InlineData("{|SLE1002:await TaskScheduler.Default|};")]
    public Task Leaving_the_scheduler_thread_in_a_soft_tasklet_is_reported(string statement) =>
        Verify.AnalyzerAsync(Sources.InSoftTasklet(statement, SchedulerAwaiter));

    [Fact]
    public Task The_message_names_the_escape() => Verify.AnalyzerAsync(
        Sources.InSoftTasklet("await {|#0:task.ConfigureAwait(false)|};"),
        Verify.Diagnostic("SLE1002").WithLocation(0).WithArguments("ConfigureAwait(false)"));

    [Fact]
    public Task Awaits_that_keep_the_context_are_not_reported() => Verify.AnalyzerAsync(Sources.InSoftTasklet("""
            await task.ConfigureAwait(true);
            await task.ConfigureAwait(ConfigureAwaitOptions.ContinueOnCapturedContext);
            await task.ConfigureAwait(ConfigureAwaitOptions.ContinueOnCapturedContext | ConfigureAwaitOptions.ForceYielding);
            await task.ConfigureAwait(flag);
            await task;
            """));

    [Fact]
    public Task Outside_soft_tasklets_ConfigureAwait_false_is_not_reported() => Verify.AnalyzerAsync(Sources.Class("""
            async Task LibraryCodeAsync(Task task)
            {
                await task.ConfigureAwait(false);
            }

            void M(Task task)
            {
                Tasklet.SpawnHard(() => task.ConfigureAwait(false).GetAwaiter().GetResult());
            }
        """));
}
