using System.Globalization;
using System.Text;
using Stackless.Emu.Analyzers.Tests.Infrastructure;
using Verify = Stackless.Emu.Analyzers.Tests.Infrastructure.Verify<Stackless.Emu.Analyzers.TaskletBodyAnalyzer>;

namespace Stackless.Emu.Analyzers.Tests;

/// <summary>SLE1101 and SLE1103: the tasklet-body rules in async methods that a soft tasklet body calls.</summary>
public class CalledAsyncMethodTests
{
    [Fact]
    public Task An_async_method_a_body_awaits_runs_in_the_tasklet() => Verify.AnalyzerAsync(
        Sources.Class("""
            void M(Channel<int> ch)
            {
                Tasklet.Spawn(async () => await ProduceAsync(ch));
            }

            static async Task ProduceAsync(Channel<int> ch)
            {
                {|#0:ch.Send(1)|};
                await Task.Yield();
            }
        """),
        Verify.Diagnostic("SLE1101").WithLocation(0).WithArguments(
            "Channel.Send()", "await ch.SendAsync(...)", "ProduceAsync", "Tasklet.Spawn body at Test0.cs:10 → ProduceAsync"));

    [Fact]
    public Task A_method_passed_by_name_is_the_body_itself() => Verify.AnalyzerAsync(
        Sources.Class("""
            void M(SchedulerThread thread)
            {
                Tasklet.Spawn(RunAsync);
                thread.Post(RunAsync);
            }

            static async Task RunAsync()
            {
                {|#0:Scheduler.Schedule()|};
                await Task.Yield();
            }
        """),
        Verify.Diagnostic("SLE1101").WithLocation(0).WithArguments(
            "Scheduler.Schedule()", "await Scheduler.ScheduleAsync()", "RunAsync", "SchedulerThread.Post at Test0.cs:11 → RunAsync"));

    [Fact]
    public Task Calls_are_followed_through_a_chain_of_async_methods_and_local_functions() => Verify.AnalyzerAsync(Sources.Class("""
            void M(Channel<int> ch, Task<int> pending)
            {
                Tasklet.Spawn(() => FirstAsync(ch, pending));
            }

            static async Task FirstAsync(Channel<int> ch, Task<int> pending)
            {
                await SecondAsync(ch, pending);
                await Local();

                async Task Local()
                {
                    _ = {|SLE1101:ch.Receive()|};
                    await Task.Yield();
                }
            }

            static async Task SecondAsync(Channel<int> ch, Task<int> pending)
            {
                await ch.ThirdAsync(pending);
            }
        }

        static class Extensions
        {
            public static async Task ThirdAsync(this Channel<int> ch, Task<int> pending)
            {
                {|SLE1101:foreach (var x in ch)|} { }
                _ = {|SLE1103:pending.Result|};
                {|SLE1103:pending.Wait()|};
                await Task.Yield();
            }
        """));

    [Fact]
    public Task A_TaskletFrame_method_calls_into_async_helpers_and_generic_ones() => Verify.AnalyzerAsync(Sources.Class("""
            async TaskletFrame Walk(Channel<int> ch)
            {
                await HelperAsync(ch, 1);
            }

            static async Task HelperAsync<T>(Channel<T> ch, T value)
            {
                {|SLE1101:ch.Send(value)|};
                await Task.Yield();
            }
        """));

    [Fact]
    public Task The_path_says_how_a_TaskletFrame_method_reaches_the_method() => Verify.AnalyzerAsync(
        Sources.Class("""
            async TaskletFrame Walk(Tasklet t)
            {
                await StopAsync(t);
            }

            static async Task StopAsync(Tasklet t)
            {
                {|#0:t.Kill()|};
                await Task.Yield();
            }
        """),
        Verify.Diagnostic("SLE1101").WithLocation(0).WithArguments("Tasklet.Kill()", "await t.KillAsync(...)", "StopAsync", "async TaskletFrame Walk → StopAsync"));

    [Fact]
    public Task Methods_no_tasklet_body_reaches_are_not_reported() => Verify.AnalyzerAsync(Sources.Class("""
            async Task MainAsync(Channel<int> ch)
            {
                await HelperAsync(ch);
                Tasklet.Spawn(async () =>
                {
                    Func<Task> later = () => HelperAsync(ch);
                    await Task.Yield();
                });
                Tasklet.SpawnHard(() => HelperAsync(ch).Wait());
            }

            static async Task HelperAsync(Channel<int> ch)
            {
                ch.Send(1);
                await Task.Yield();
            }
        """));

    [Fact]
    public Task Leaving_the_scheduler_thread_is_reported_in_the_body_only() => Verify.AnalyzerAsync(Sources.Class("""
            void M()
            {
                Tasklet.Spawn(async () => await FetchAsync());
            }

            // The helper's own continuation runs on the pool; the body awaiting it resumes on its scheduler thread.
            static async Task FetchAsync()
            {
                await Task.Delay(1).ConfigureAwait(false);
            }
        """));

    [Fact]
    public Task Recursion_ends() => Verify.AnalyzerAsync(Sources.Class("""
            void M(Channel<int> ch)
            {
                Tasklet.Spawn(() => PingAsync(ch, 3));
            }

            static async Task PingAsync(Channel<int> ch, int n)
            {
                {|SLE1101:Scheduler.Schedule()|};
                if (n > 0)
                {
                    await PongAsync(ch, n - 1);
                }
            }

            static async Task PongAsync(Channel<int> ch, int n)
            {
                await PingAsync(ch, n);
            }
        """));

    [Fact]
    public Task Calls_are_followed_as_deep_as_the_bound_and_no_deeper()
    {
        // Level0Async is the body's direct callee (depth 0); each level awaits the next and sends on the channel.
        var depth = TaskletCallGraph.MaxDepth;
        var members = new StringBuilder("""
                void M(Channel<int> ch)
                {
                    Tasklet.Spawn(() => Level0Async(ch));
                }

            """);
        for (var level = 0; level <= depth + 1; level++)
        {
            var send = level <= depth ? "{|SLE1101:ch.Send(1)|}" : "ch.Send(1)";
            var next = level <= depth ? $"await Level{level + 1}Async(ch);" : "await Task.Yield();";
            members.AppendLine(CultureInfo.InvariantCulture, $$"""
                    static async Task Level{{level}}Async(Channel<int> ch)
                    {
                        {{send}};
                        {{next}}
                    }
                """);
        }

        members.AppendLine(CultureInfo.InvariantCulture, $$"""
                static async Task Level{{depth + 2}}Async(Channel<int> ch) => await Task.Yield();
            """);
        return Verify.AnalyzerAsync(Sources.Class(members.ToString()));
    }
}
