namespace Stackless.Emu;

/// <summary>
/// The library's process-wide settings: they apply to every thread's scheduler at once (unlike the members of
/// <see cref="Scheduler"/>, which act on the calling thread's). Set them at start-up, before tasklets run. Thread safety:
/// reading and writing them is safe from any thread. The diagnostics settings live in <see cref="StacklessDiagnostics"/>, also process-wide.
/// </summary>
public static class StacklessSettings
{
    private static volatile TimeProvider s_timeProvider = TimeProvider.System;

    /// <summary>
    /// The stack size, in bytes, of the threads started for hard tasklets from now on (0: the runtime's default). Raise
    /// it for deep synchronous recursion; lower it for thousands of hard tasklets.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public static int HardTaskletStackSize
    {
        get => HardTaskletThreads.StackSize;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            HardTaskletThreads.StackSize = value;
        }
    }

    /// <summary>
    /// How long a thread whose hard tasklet has finished waits to be reused by the next hard tasklet before it ends
    /// (default 10 s).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative (other than <see cref="Timeout.InfiniteTimeSpan"/>).</exception>
    public static TimeSpan HardTaskletIdleTimeout
    {
        get => HardTaskletThreads.IdleTimeout;
        set
        {
            if (value < TimeSpan.Zero && value != Timeout.InfiniteTimeSpan)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "The idle timeout must be zero or positive, or Timeout.InfiniteTimeSpan.");
            }

            HardTaskletThreads.IdleTimeout = value;
        }
    }

    /// <summary>
    /// The clock of the library's sleeps and cooperative waits when none is given (<see cref="Scheduler.Sleep"/>,
    /// <see cref="Scheduler.SleepAsync"/>, the Monkeypatch package's <c>Cooperative.Sleep</c>): <see cref="TimeProvider.System"/>
    /// by default, a fake one in tests.
    /// </summary>
    public static TimeProvider TimeProvider
    {
        get => s_timeProvider;
        set => s_timeProvider = value ?? throw new ArgumentNullException(nameof(value));
    }
}
