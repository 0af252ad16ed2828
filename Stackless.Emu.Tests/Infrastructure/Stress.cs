namespace Stackless.Emu.Tests.Infrastructure;

/// <summary>
/// Sizes of stress tests and hang guards. A test suite must hold on a busy 2-core machine: stress tests are light by
/// default and run their full size with STACKLESS_FULL_STRESS=1; they count messages or rounds, never time. A hang guard
/// only turns a hang into a failure, so it is generous (minutes), far beyond what any run needs.
/// </summary>
public static class Stress
{
    /// <summary>Whether STACKLESS_FULL_STRESS=1 asks for the full sizes.</summary>
    public static bool Full { get; } = Environment.GetEnvironmentVariable("STACKLESS_FULL_STRESS") == "1";

    /// <summary>How long a wait for another thread may take before the test reports a hang (a guard, never a measurement).</summary>
    public static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(5);

    /// <summary><paramref name="light"/> by default, <paramref name="full"/> with STACKLESS_FULL_STRESS=1.</summary>
    public static int Size(int light, int full) => Full ? full : light;
}
