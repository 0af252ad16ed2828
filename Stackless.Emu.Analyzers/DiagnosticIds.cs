namespace Stackless.Emu.Analyzers;

/// <summary>
/// The ids of the Stackless.Emu analyzers. SLE10xx: found in the tasklet body itself; SLE11xx: the same rule found in an
/// async method of the project that a tasklet body calls (directly or through other async methods).
/// </summary>
public static class DiagnosticIds
{
    /// <summary>A synchronous form (Send, Receive, Schedule, Kill, ...) inside a soft tasklet body.</summary>
    public const string SyncFormInSoftTasklet = "SLE1001";

    /// <summary>ConfigureAwait(false) (or another switch off the scheduler thread) inside a soft tasklet body.</summary>
    public const string LeavesSchedulerThread = "SLE1002";

    /// <summary>.Result, .Wait(), GetAwaiter().GetResult() or JoinableTaskFactory.Run inside a soft tasklet body.</summary>
    public const string SyncOverAsyncInSoftTasklet = "SLE1003";

    /// <summary>A SwitchAwaitable or ReceiveAwaitable that is never awaited.</summary>
    public const string AwaitableNotAwaited = "SLE1004";

    /// <summary>SLE1001 in an async method that a soft tasklet body calls.</summary>
    public const string SyncFormInCalledAsyncMethod = "SLE1101";

    /// <summary>SLE1003 in an async method that a soft tasklet body calls.</summary>
    public const string SyncOverAsyncInCalledAsyncMethod = "SLE1103";
}
