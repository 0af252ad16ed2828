using System.Runtime.InteropServices;

/// <summary>The process's open-file limit (Linux): raise the soft limit to the hard one; count open descriptors.</summary>
internal static partial class FileDescriptors
{
    private const int RlimitNofile = 7;

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static partial int GetRLimit(int resource, out RLimit limit);

    [LibraryImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    private static partial int SetRLimit(int resource, in RLimit limit);

    /// <summary>Raises the soft limit to the hard limit; returns the resulting limit, or -1 if unknown.</summary>
    public static long RaiseLimit()
    {
        if (!OperatingSystem.IsLinux() || GetRLimit(RlimitNofile, out var limit) != 0)
        {
            return -1;
        }

        if (limit.Current < limit.Maximum)
        {
            var raised = limit with { Current = limit.Maximum };
            if (SetRLimit(RlimitNofile, raised) == 0)
            {
                limit = raised;
            }
        }

        return (long)Math.Min(limit.Current, long.MaxValue);
    }

    /// <summary>The number of descriptors this process holds (Linux), or 50 as a guess elsewhere.</summary>
    public static int Open() => OperatingSystem.IsLinux() ? Directory.GetFiles("/proc/self/fd").Length : 50;
}
