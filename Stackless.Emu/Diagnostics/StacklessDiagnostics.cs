namespace Stackless.Emu;

/// <summary>
/// Where the library reports errors it cannot raise in any caller: a schedule callback that throws (Stackless prints
/// "Error in scheduling callback" and carries on), a stall of a scheduler thread. Without a handler they are written to
/// standard error, as Stackless does.
/// </summary>
/// <remarks>Thread safety: process-wide settings, set and read from any thread. The handler may run on any thread; it must not throw and should not block.</remarks>
public static class StacklessDiagnostics
{
    /// <summary>
    /// Receives each report: a short description and the exception, if any. Set it to route the reports to a logger
    /// (e.g. <c>(what, ex) =&gt; logger.LogError(ex, "{What}", what)</c>); null writes them to standard error.
    /// </summary>
    public static Action<string, Exception?>? ErrorHandler { get; set; }

    /// <summary>
    /// Turns the stall detector on (a time) or off (null, the default): a scheduler thread that makes no progress for
    /// this long while tasklets are runnable or completions wait in its inbox is reported through
    /// <see cref="ErrorHandler"/>, naming the tasklet whose step does not return and the likely cause (a blocking call
    /// such as <c>.Result</c>, <c>.Wait()</c> or <c>JoinableTaskFactory.Run</c> inside a tasklet; a main that never runs
    /// its scheduler). Diagnostic only: the stalled thread keeps waiting. A few seconds is a good value.
    /// </summary>
    public static TimeSpan? StallThreshold
    {
        get => s_stallThreshold;
        set
        {
            StallDetector.Configure(value);
            s_stallThreshold = value;
        }
    }

    private static TimeSpan? s_stallThreshold;

    /// <summary>Reports a failing callback (the schedule or channel callback).</summary>
    internal static void ReportCallbackError(string what, Exception error) => Report(what, error);

    /// <summary>Reports <paramref name="what"/> through <see cref="ErrorHandler"/>, or on standard error.</summary>
    internal static void Report(string what, Exception? error)
    {
        if (StacklessEventSource.Log.IsEnabled())
        {
            StacklessEventSource.Log.Error(what, error?.ToString() ?? string.Empty);
        }

        if (ErrorHandler is { } handler)
        {
            try
            {
                handler(what, error);
            }
#pragma warning disable CA1031 // A failing handler must not take the scheduler down; it falls back to standard error.
            catch (Exception handlerError)
#pragma warning restore CA1031
            {
                Console.Error.WriteLine($"{what}: {error}{Environment.NewLine}(and the error handler failed: {handlerError})");
            }

            return;
        }

        Console.Error.WriteLine(error is null ? what : $"{what}: {error}");
    }
}
