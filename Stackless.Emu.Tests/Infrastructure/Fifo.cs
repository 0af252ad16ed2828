using System.Runtime.InteropServices;

namespace Stackless.Emu.Tests.Infrastructure;

/// <summary>Named pipes in the file system (mkfifo): file I/O whose reads really wait for a writer.</summary>
internal static partial class Fifo
{
    /// <summary>Creates a FIFO at a fresh temporary path and returns the path.</summary>
    public static string Create()
    {
        var path = Path.Combine(Path.GetTempPath(), $"stackless-fifo-{Guid.NewGuid():N}");
        if (MakeFifo(path, 0x180) != 0)
        {
            throw new IOException($"mkfifo {path} failed (errno {Marshal.GetLastPInvokeError()}).");
        }

        return path;
    }

    [LibraryImport("libc", EntryPoint = "mkfifo", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int MakeFifo(string path, uint mode);
}
