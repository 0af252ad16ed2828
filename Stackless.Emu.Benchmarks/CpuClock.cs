using System.Runtime.InteropServices;

namespace Stackless.Emu.Benchmarks;

/// <summary>
/// CPU time and context switches from the OS (Linux), where no profiler is at hand: the calling thread's or the whole
/// process's CPU time through <c>clock_gettime</c>, context switches through <c>getrusage</c>. Elsewhere the process
/// figures fall back to <see cref="System.Diagnostics.Process"/> and the thread figures read zero.
/// </summary>
internal static partial class CpuClock
{
    private const int ClockProcessCpuTime = 2;
    private const int ClockThreadCpuTime = 3;
    private const int RusageSelf = 0;
    private const int RusageThread = 1;

    /// <summary>CPU time of the whole process (every thread), in seconds.</summary>
    public static double ProcessSeconds() =>
        OperatingSystem.IsLinux() ? Read(ClockProcessCpuTime) : System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;

    /// <summary>CPU time of the calling thread, in seconds.</summary>
    public static double ThreadSeconds() => OperatingSystem.IsLinux() ? Read(ClockThreadCpuTime) : 0;

    /// <summary>Voluntary context switches (the thread went to sleep) of the process so far.</summary>
    public static long ProcessVoluntarySwitches() => Switches(RusageSelf);

    /// <summary>Voluntary context switches of the calling thread so far.</summary>
    public static long ThreadVoluntarySwitches() => Switches(RusageThread);

    /// <summary>The 1-minute load average of the machine (Linux), or -1.</summary>
    public static double LoadAverage()
    {
        try
        {
            var text = File.ReadAllText("/proc/loadavg");
            return double.Parse(text.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return -1;
        }
        catch (UnauthorizedAccessException)
        {
            return -1;
        }
    }

    private static double Read(int clock)
    {
        if (ClockGetTime(clock, out var time) != 0)
        {
            throw new InvalidOperationException($"clock_gettime({clock}) failed with errno {Marshal.GetLastPInvokeError()}.");
        }

        return time.Seconds + (time.Nanoseconds / 1e9);
    }

    private static long Switches(int who)
    {
        if (!OperatingSystem.IsLinux() || GetRUsage(who, out var usage) != 0)
        {
            return 0;
        }

        return usage.VoluntarySwitches;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    /// <summary>struct rusage on 64-bit Linux: two timevals, then fourteen longs.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct RUsage
    {
        public long UserSeconds;
        public long UserMicroseconds;
        public long SystemSeconds;
        public long SystemMicroseconds;
        public long MaxRss;
        public long SharedRss;
        public long UnsharedData;
        public long UnsharedStack;
        public long MinorFaults;
        public long MajorFaults;
        public long Swaps;
        public long BlocksIn;
        public long BlocksOut;
        public long MessagesSent;
        public long MessagesReceived;
        public long Signals;
        public long VoluntarySwitches;
        public long InvoluntarySwitches;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime", SetLastError = true)]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    [LibraryImport("libc", EntryPoint = "getrusage", SetLastError = true)]
    private static partial int GetRUsage(int who, out RUsage usage);
}
