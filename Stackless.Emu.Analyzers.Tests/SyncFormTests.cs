using Stackless.Emu.Analyzers.Tests.Infrastructure;
using Verify = Stackless.Emu.Analyzers.Tests.Infrastructure.Verify<Stackless.Emu.Analyzers.TaskletBodyAnalyzer>;

namespace Stackless.Emu.Analyzers.Tests;

/// <summary>SLE1001: a synchronous form inside a soft tasklet body.</summary>
public class SyncFormTests
{
    [Theory]
    [InlineData("{|SLE1001:ch.Send(1)|};")]
    [InlineData("{|SLE1001:ch.Send(1, CancellationToken.None)|};")]
    [InlineData("_ = {|SLE1001:ch.Receive()|};")]
    [InlineData("_ = {|SLE1001:ch.Receive(CancellationToken.None)|};")]
    [InlineData("{|SLE1001:untyped.Send(null)|};")]
    [InlineData("{|SLE1001:ch.SendException(new InvalidOperationException())|};")]
    [InlineData("{|SLE1001:ch.SendException(typeof(InvalidOperationException))|};")]
    [InlineData("{|SLE1001:ch.SendThrow(new InvalidOperationException())|};")]
    [InlineData("{|SLE1001:ch.SendSequence(new[] { 1, 2 })|};")]
    [InlineData("{|SLE1001:Scheduler.Schedule()|};")]
    [InlineData("{|SLE1001:Scheduler.ScheduleRemove()|};")]
    [InlineData("{|SLE1001:Scheduler.Run()|};")]
    [InlineData("{|SLE1001:Scheduler.Run(100)|};")]
    [InlineData("{|SLE1001:Scheduler.Sleep(TimeSpan.FromMilliseconds(1))|};")]
    [InlineData("{|SLE1001:Scheduler.WaitFor(task)|};")]
    [InlineData("_ = {|SLE1001:Scheduler.WaitFor(result)|};")]
    [InlineData("_ = {|SLE1001:Scheduler.BlockingCall(() => 1)|};")]
    [InlineData("{|SLE1001:Scheduler.BlockingCall(() => { })|};")]
    [InlineData("{|SLE1001:Scheduler.PreemptionPoint()|};")]
    [InlineData("{|SLE1001:t.Run()|};")]
    [InlineData("{|SLE1001:t.Switch()|};")]
    [InlineData("{|SLE1001:t.Kill()|};")]
    [InlineData("{|SLE1001:t.Kill(pending: false)|};")]
    [InlineData("{|SLE1001:t.Kill(flag)|};")]
    [InlineData("{|SLE1001:t.Throw(new InvalidOperationException())|};")]
    [InlineData("{|SLE1001:t.RaiseException(typeof(InvalidOperationException))|};")]
    [InlineData("{|SLE1001:foreach (var x in ch)|} { }")]
    [InlineData("{|SLE1001:foreach (var x in untyped)|} { }")]
    public Task Every_synchronous_form_in_a_soft_tasklet_is_reported(string statement) =>
        Verify.AnalyzerAsync(Sources.InSoftTasklet(statement));

    [Theory]
    [InlineData("Tasklet.Spawn(async () => { BODY });")]
    [InlineData("Tasklet.Spawn(async delegate { BODY });")]
    [InlineData("new Tasklet(async () => { BODY }).Setup();")]
    [InlineData("new Tasklet().Bind(async () => { BODY });")]
    [InlineData("thread.Post(async () => { BODY });")]
    [InlineData("_ = thread.SpawnAsync(async () => { BODY });")]
    [InlineData("Tasklet.SpawnFrame(async () => { BODY });")]
    [InlineData("Tasklet.CreateFrame(async () => { BODY });")]
    public Task Every_spawning_API_makes_its_async_lambda_a_soft_tasklet_body(string spawn) =>
        Verify.AnalyzerAsync(Sources.Method(spawn.Replace("BODY", "{|SLE1001:ch.Send(1)|}; await Task.Yield();", StringComparison.Ordinal)));

    [Fact]
    public Task An_async_TaskletFrame_method_is_a_soft_tasklet_body() => Verify.AnalyzerAsync(Sources.Class("""
            async TaskletFrame Walk(Channel<int> ch)
            {
                {|SLE1001:ch.Send(1)|};
                await ch.SendAsync(2);
            }

            void M(Channel<int> ch)
            {
                Tasklet.SpawnFrame(() => Walk(ch));
                Count(ch);

                async TaskletFrame<int> Count(Channel<int> c)
                {
                    {|SLE1001:foreach (var x in c)|} { }
                    await Scheduler.ScheduleAsync();
                    return 0;
                }
            }
        """));

    [Fact]
    public Task The_message_names_the_form_and_the_async_form_to_use() => Verify.AnalyzerAsync(
        Sources.InSoftTasklet("""
            {|#0:ch.Send(1)|};
            {|#1:Scheduler.Run()|};
            {|#2:Scheduler.WaitFor(task)|};
            {|#3:foreach (var x in ch)|} { }
            """),
        Verify.Diagnostic("SLE1001").WithLocation(0).WithArguments("Channel.Send()", "await ch.SendAsync(...)"),
        Verify.Diagnostic("SLE1001").WithLocation(1).WithArguments("Scheduler.Run()", "await Scheduler.ScheduleAsync()"),
        Verify.Diagnostic("SLE1001").WithLocation(2).WithArguments("Scheduler.WaitFor()", "await task"),
        Verify.Diagnostic("SLE1001").WithLocation(3).WithArguments("foreach over a Channel", "await foreach"));

    [Fact]
    public Task Main_thread_code_is_not_reported() => Verify.AnalyzerAsync(Sources.Method("""
                ch.Send(1);
                _ = ch.Receive();
                Scheduler.Schedule();
                Scheduler.Run();
                t.Kill();
                foreach (var x in ch) { }
                Scheduler.WaitFor(task);
        """));

    [Fact]
    public Task Hard_tasklet_bodies_are_not_reported() => Verify.AnalyzerAsync(Sources.Method("""
                Tasklet.SpawnHard(() =>
                {
                    ch.Send(1);
                    _ = ch.Receive();
                    Scheduler.Schedule();
                    t.Kill();
                    foreach (var x in ch) { }
                });
                Tasklet.CreateHard(() => ch.Send(1)).Setup();
                thread.PostHard(() => ch.Send(1));
        """));

    [Fact]
    public Task A_plain_async_method_that_no_tasklet_calls_is_not_reported() => Verify.AnalyzerAsync(Sources.Class("""
            async Task MainAsync(Channel<int> ch)
            {
                ch.Send(1);
                Scheduler.Run();
                foreach (var x in ch) { }
                await Task.Yield();
            }
        """));

    [Fact]
    public Task Nested_lambdas_inside_a_soft_body_belong_to_themselves() => Verify.AnalyzerAsync(Sources.InSoftTasklet("""
            Tasklet.SpawnHard(() => ch.Send(1));
            Action later = () => ch.Send(2);
            Func<Task> notSpawned = async () => { ch.Send(3); await Task.Yield(); };
            """));

    [Fact]
    public Task Pending_kills_and_throws_never_switch_and_are_allowed() => Verify.AnalyzerAsync(Sources.InSoftTasklet("""
            t.Kill(pending: true);
            t.Kill(true);
            t.Throw(new InvalidOperationException(), pending: true);
            """));

    [Fact]
    public Task Async_forms_and_same_named_methods_of_other_types_are_not_reported() => Verify.AnalyzerAsync(Sources.InSoftTasklet(
        """
            await ch.SendAsync(1);
            _ = await ch.ReceiveAsync();
            await Scheduler.ScheduleAsync();
            await t.KillAsync();
            await foreach (var x in ch) { }
            await task;
            new Mailbox().Send(1);
            """,
        """
            class Mailbox
            {
                public void Send(int value) { }
            }
        """));
}
