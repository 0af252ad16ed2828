using Microsoft.Extensions.Logging;

namespace Stackless.Emu.Logging;

/// <summary>
/// Routes the errors Stackless.Emu cannot raise in any caller (<see cref="StacklessDiagnostics"/>: a failing schedule
/// callback, a stalled scheduler thread) to a Microsoft.Extensions.Logging <see cref="ILogger"/> instead of standard
/// error: <c>using var _ = StacklessLogging.RouteErrorsTo(loggerFactory);</c>
/// </summary>
/// <remarks>Thread safety: any thread; the handler it installs is process-wide (see <see cref="StacklessDiagnostics"/>) and may log from any thread.</remarks>
public static partial class StacklessLogging
{
    /// <summary>The category of the logger created by <see cref="RouteErrorsTo(ILoggerFactory)"/>.</summary>
    public const string Category = "Stackless.Emu";

    /// <summary>
    /// Sends every report of <see cref="StacklessDiagnostics"/> to <paramref name="logger"/> as an error (event id 1,
    /// "StacklessError"). Process-wide; disposing the result restores the handler that was set before.
    /// </summary>
    public static IDisposable RouteErrorsTo(ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        var previous = StacklessDiagnostics.ErrorHandler;
        Action<string, Exception?> handler = (what, error) => LogStacklessError(logger, error, what);
        StacklessDiagnostics.ErrorHandler = handler;
        return new Restore(handler, previous);
    }

    /// <summary>Like <see cref="RouteErrorsTo(ILogger)"/>, with a logger of category <see cref="Category"/>.</summary>
    public static IDisposable RouteErrorsTo(ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(loggerFactory);
        return RouteErrorsTo(loggerFactory.CreateLogger(Category));
    }

    [LoggerMessage(EventId = 1, EventName = "StacklessError", Level = LogLevel.Error, Message = "{What}")]
    private static partial void LogStacklessError(ILogger logger, Exception? error, string what);

    /// <summary>Puts the previous handler back, unless another one was set since.</summary>
    private sealed class Restore(Action<string, Exception?> installed, Action<string, Exception?>? previous) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0 && StacklessDiagnostics.ErrorHandler == installed)
            {
                StacklessDiagnostics.ErrorHandler = previous;
            }
        }
    }
}
