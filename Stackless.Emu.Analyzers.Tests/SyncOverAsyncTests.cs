using Stackless.Emu.Analyzers.Tests.Infrastructure;
using Verify = Stackless.Emu.Analyzers.Tests.Infrastructure.Verify<Stackless.Emu.Analyzers.TaskletBodyAnalyzer>;

namespace Stackless.Emu.Analyzers.Tests;

/// <summary>SLE1003: blocking on a task inside a soft tasklet body.</summary>
public class SyncOverAsyncTests
{
    private const string Interop = """
            static void Interop(Microsoft.VisualStudio.Threading.JoinableTaskFactory factory, Microsoft.VisualStudio.Threading.JoinableTask joinable)
            {
                Tasklet.Spawn(async () =>
                {
                    {|SLE1003:factory.Run(() => Task.CompletedTask)|};
                    _ = {|SLE1003:factory.Run(() => Task.FromResult(1))|};
                    {|SLE1003:joinable.Join()|};
                    {|SLE1003:Nito.AsyncEx.AsyncContext.Run(() => Task.CompletedTask)|};
                    await Task.Yield();
                });
            }
        """;

    [Theory]
    [InlineData("_ = {|SLE1003:result.Result|};")]
    [InlineData("_ = {|SLE1003:value.Result|};")]
    [InlineData("{|SLE1003:task.Wait()|};")]
    [InlineData("_ = {|SLE1003:task.Wait(100)|};")]
    [InlineData("{|SLE1003:result.Wait(CancellationToken.None)|};")]
    [InlineData("{|SLE1003:Task.WaitAll(task)|};")]
    [InlineData("_ = {|SLE1003:Task.WaitAny(task)|};")]
    [InlineData("{|SLE1003:task.GetAwaiter().GetResult()|};")]
    [InlineData("_ = {|SLE1003:result.GetAwaiter().GetResult()|};")]
    [InlineData("_ = {|SLE1003:value.GetAwaiter().GetResult()|};")]
    [InlineData("{|SLE1003:task.ConfigureAwait(true).GetAwaiter().GetResult()|};")]
    public Task Blocking_on_a_task_in_a_soft_tasklet_is_reported(string statement) =>
        Verify.AnalyzerAsync(Sources.InSoftTasklet(statement));

    [Fact]
    public Task JoinableTaskFactory_Run_and_AsyncContext_Run_block_too() => Verify.AnalyzerAsync(Sources.Class(Interop));

    [Fact]
    public Task The_message_names_the_wait() => Verify.AnalyzerAsync(
        Sources.InSoftTasklet("""
            _ = {|#0:result.Result|};
            {|#1:task.GetAwaiter().GetResult()|};
            {|#2:task.Wait()|};
            """),
        Verify.Diagnostic("SLE1003").WithLocation(0).WithArguments("Task<T>.Result"),
        Verify.Diagnostic("SLE1003").WithLocation(1).WithArguments("GetAwaiter().GetResult()"),
        Verify.Diagnostic("SLE1003").WithLocation(2).WithArguments("Task.Wait()"));

    [Fact]
    public Task Main_hard_tasklets_and_plain_async_code_are_not_reported() => Verify.AnalyzerAsync(Sources.Class("""
            void M(Task task, Task<int> result)
            {
                task.Wait();
                _ = result.Result;
                Tasklet.SpawnHard(() =>
                {
                    task.Wait();
                    _ = result.GetAwaiter().GetResult();
                });
            }

            async Task PlainAsync(Task<int> result)
            {
                _ = result.Result;
                await Task.Yield();
            }

            void Soft(Task<int> result)
            {
                Tasklet.Spawn(async () =>
                {
                    _ = await result;
                    _ = result.IsCompleted;
                    Func<int> later = () => result.Result;
                });
            }
        """));
}
