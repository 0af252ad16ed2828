using Microsoft.Extensions.Logging;
using Stackless.Emu.Logging;
using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Diagnostics;

/// <summary>The errors the library reports go to an ILogger once routed, and never to standard error then.</summary>
[Collection(SequentialCollection.Name)]
public class LoggingTests
{
    /// <summary>A logger that keeps its entries.</summary>
    private sealed class CollectingLogger : ILogger
    {
        public List<(LogLevel Level, EventId Id, string Message, Exception? Error)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Entries)
            {
                Entries.Add((logLevel, eventId, formatter(state, exception), exception));
            }
        }
    }

    private static void FailOneScheduleCallback()
    {
        Scheduler.ScheduleCallback = (_, _) => throw new InvalidOperationException("callback broke");
        try
        {
            Tasklet.Spawn(() => Task.CompletedTask);
            Scheduler.Run(); // Stackless reports the failing callback and carries on
        }
        finally
        {
            Scheduler.ScheduleCallback = null;
        }
    }

    [Fact]
    public void Reported_errors_go_to_the_logger_and_not_to_standard_error() => Isolated.Run(() =>
    {
        var logger = new CollectingLogger();
        var standardError = Console.Error;
        using var captured = new StringWriter();
        Console.SetError(captured);
        try
        {
            using (StacklessLogging.RouteErrorsTo(logger))
            {
                FailOneScheduleCallback();
            }
        }
        finally
        {
            Console.SetError(standardError);
        }

        Assert.Equal(string.Empty, captured.ToString());
        Assert.NotEmpty(logger.Entries);
        Assert.All(logger.Entries, e =>
        {
            Assert.Equal(LogLevel.Error, e.Level);
            Assert.Equal(1, e.Id.Id);
            Assert.Equal("Error in scheduling callback", e.Message);
            Assert.Equal("callback broke", e.Error?.Message);
        });
    });

    [Fact]
    public void Disposing_the_route_restores_the_previous_handler() => Isolated.Run(() =>
    {
        var reports = new List<string>();
        Action<string, Exception?> previous = (what, _) => reports.Add(what);
        var saved = StacklessDiagnostics.ErrorHandler;
        StacklessDiagnostics.ErrorHandler = previous;
        try
        {
            var logger = new CollectingLogger();
            using (StacklessLogging.RouteErrorsTo(logger))
            {
                Assert.NotSame(previous, StacklessDiagnostics.ErrorHandler);
            }

            Assert.Same(previous, StacklessDiagnostics.ErrorHandler);
            FailOneScheduleCallback();
            Assert.Empty(logger.Entries);
            Assert.Contains("Error in scheduling callback", reports);
        }
        finally
        {
            StacklessDiagnostics.ErrorHandler = saved;
        }
    });

    [Fact]
    public void Without_a_handler_the_report_goes_to_standard_error() => Isolated.Run(() =>
    {
        var saved = StacklessDiagnostics.ErrorHandler;
        StacklessDiagnostics.ErrorHandler = null;
        var standardError = Console.Error;
        using var captured = new StringWriter();
        Console.SetError(captured);
        try
        {
            FailOneScheduleCallback();
        }
        finally
        {
            Console.SetError(standardError);
            StacklessDiagnostics.ErrorHandler = saved;
        }

        Assert.StartsWith("Error in scheduling callback: System.InvalidOperationException: callback broke", captured.ToString(), StringComparison.Ordinal);
    });
}
