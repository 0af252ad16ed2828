using System.Diagnostics;

namespace Stackless.Emu;

/// <summary>
/// One active call of <c>Scheduler.Run</c> on a scheduler (Stackless's watchdog stack entry): who called it, how it
/// waits when nothing is runnable, and its watchdog budget if it runs with a timeout.
/// </summary>
internal sealed class RunFrame
{
    /// <summary>The tasklet inside Run(): the "watchdog" an empty queue or an interrupt returns to.</summary>
    public required Tasklet Caller { get; init; }

    /// <summary>Stackless's <c>threadblock</c>: with nothing runnable, wait for other threads instead of returning.</summary>
    public bool ThreadBlock { get; init; }

    /// <summary>For scheduler threads: keep serving until this returns true, waiting for posted work meanwhile.</summary>
    public Func<bool>? ServeUntil { get; init; }

    /// <summary>The budget of a slice (ticks, or <see cref="Stopwatch"/> ticks when <see cref="TimeBased"/>); 0: no watchdog.</summary>
    public long Limit { get; init; }

    /// <summary>Whether <see cref="Limit"/> is wall-clock time rather than switch points.</summary>
    public bool TimeBased { get; init; }

    /// <summary>Stackless's <c>soft</c>: do not interrupt; return at the next voluntary switch instead.</summary>
    public bool Soft { get; init; }

    /// <summary>Stackless's <c>totaltimeout</c>: the budget covers the whole Run(), not each tasklet's slice.</summary>
    public bool TotalTimeout { get; init; }

    /// <summary>Where the current slice (or the whole run, with <see cref="TotalTimeout"/>) started.</summary>
    public long SliceStart { get; set; }

    /// <summary>A soft interrupt is due at the next switch.</summary>
    public bool SoftInterruptPending { get; set; }

    /// <summary>The tasklet the watchdog interrupted (hard) or would have run next (soft): Run()'s return value.</summary>
    public Tasklet? Interrupted { get; set; }

    /// <summary>Whether this run has a watchdog.</summary>
    public bool HasWatchdog => Limit > 0;
}
