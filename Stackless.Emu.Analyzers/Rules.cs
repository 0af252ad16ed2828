using Microsoft.CodeAnalysis;

namespace Stackless.Emu.Analyzers;

/// <summary>The diagnostic descriptors, one per id of <see cref="DiagnosticIds"/>; each links to its section of docs/analyzers.md.</summary>
internal static class Rules
{
    /// <summary>
    /// Where docs/analyzers.md is published; each rule's help link is this plus "#" and its id in lower case (the page
    /// has an anchor per id). It is the packages' RepositoryUrl (Directory.Build.props) plus /blob/main/docs/analyzers.md:
    /// change both together (.ci/pack-smoke checks that they agree). The package also carries the page itself as
    /// docs/analyzers.md.
    /// </summary>
    public const string DocsPage = "https://github.com/stackless-emu/Stackless.Emu/blob/main/docs/analyzers.md";

    private const string Category = "Stackless.Emu.Usage";

    public static readonly DiagnosticDescriptor SyncFormInSoftTasklet = Create(
        DiagnosticIds.SyncFormInSoftTasklet,
        "Synchronous form inside a soft tasklet",
        "'{0}' is a synchronous form: inside a soft tasklet it throws InvalidOperationException, because a soft tasklet suspends only at an await. Use '{1}' instead, or move the blocking code to a hard tasklet (Tasklet.SpawnHard).",
        "A soft tasklet is an async method run by its thread's scheduler; it can only suspend at an await. The synchronous forms (Send, Receive, Schedule, Run, Kill, foreach over a channel, ...) are for main and hard tasklets and throw inside a soft tasklet.");

    public static readonly DiagnosticDescriptor LeavesSchedulerThread = Create(
        DiagnosticIds.LeavesSchedulerThread,
        "Tasklet body leaves its scheduler thread",
        "'{0}' resumes the tasklet off its scheduler thread, where tasklet operations fail and the code no longer runs one tasklet at a time. Remove it: await the task as it is.",
        "A soft tasklet resumes after an await on its scheduler thread because the await captures the scheduler's synchronization context. ConfigureAwait(false), or awaiting a TaskScheduler, drops it: the rest of the tasklet runs on the thread pool.");

    public static readonly DiagnosticDescriptor SyncOverAsyncInSoftTasklet = Create(
        DiagnosticIds.SyncOverAsyncInSoftTasklet,
        "Sync-over-async inside a soft tasklet",
        "'{0}' blocks the scheduler thread until the task completes, but the task may need that very scheduler (a tasklet, a channel, a continuation posted to the thread): the thread deadlocks. Use 'await' instead.",
        "Blocking the thread of a soft tasklet blocks every tasklet of that scheduler, including the ones the awaited work may be waiting for.");

    public static readonly DiagnosticDescriptor AwaitableNotAwaited = Create(
        DiagnosticIds.AwaitableNotAwaited,
        "Tasklet awaitable not awaited",
        "The {0} returned by '{1}' is not awaited: the operation has already started (a soft tasklet is already suspended in the scheduler's books), so the code after it runs out of turn, and a received value or a delivered exception is lost. Write 'await {1}(...)'.",
        "The Async forms of the tasklet and channel operations return awaitables (SwitchAwaitable, TempValAwaitable, ReceiveAwaitable<T>) that must be awaited at once, exactly once.");

    public static readonly DiagnosticDescriptor SyncFormInCalledAsyncMethod = Create(
        DiagnosticIds.SyncFormInCalledAsyncMethod,
        "Synchronous form in an async method that runs inside a soft tasklet",
        "'{0}' is a synchronous form and throws InvalidOperationException inside a soft tasklet, where '{2}' runs ({3}). Use '{1}' instead.",
        "An async method called from a soft tasklet body runs inside that tasklet, so the synchronous forms throw there as in the body itself.",
        compilationEnd: true);

    public static readonly DiagnosticDescriptor SyncOverAsyncInCalledAsyncMethod = Create(
        DiagnosticIds.SyncOverAsyncInCalledAsyncMethod,
        "Sync-over-async in an async method that runs inside a soft tasklet",
        "'{0}' blocks the scheduler thread until the task completes, and '{1}' runs inside a soft tasklet ({2}), whose scheduler the task may need: the thread deadlocks. Use 'await' instead.",
        "An async method called from a soft tasklet body runs on the tasklet's scheduler thread; blocking there blocks every tasklet of that scheduler.",
        compilationEnd: true);

    private static DiagnosticDescriptor Create(string id, string title, string message, string description, bool compilationEnd = false) =>
        new(
            id,
            title,
            message,
            Category,
            DiagnosticSeverity.Warning,
            isEnabledByDefault: true,
            description,
            helpLinkUri: DocsPage + "#" + id.ToLowerInvariant(),
            customTags: compilationEnd ? [WellKnownDiagnosticTags.CompilationEnd] : []);
}
