using System.Runtime.CompilerServices;

namespace Stackless.Emu;

internal sealed partial class ThreadScheduler
{
    // Knowing the caller without a thread static. A channel operation needs the calling thread's scheduler, and the
    // thread-static read (ThreadScheduler.Current) is a call into the dynamic loader on Linux (__tls_get_addr): four per
    // ping-pong round trip, 7.5% of it (docs/benchmarks.md). While this scheduler's loop runs (Drive), it records the
    // address of a local of the Drive frame in _driveStackTop, provided the runtime's minimum execution stack lies below
    // it (RuntimeHelpers.TryEnsureSufficientExecutionStack, at least 64 KB). Invariant: while Drive runs, the
    // DriveStackWindow bytes below that address are the driving thread's own stack, which no other thread's locals can
    // occupy. Every callee of Drive (each soft step, and the channel operations it makes) has its locals there. So an
    // operation on a channel of this scheduler whose own local lies in the window, while a soft step executes, was made
    // by that step on the driving thread. Anything else (a deeper recursion, another thread, main's own code, no loop
    // running: _driveStackTop 0) misses the window and reads the thread static, as before.

    /// <summary>How far below the Drive frame a soft step's channel operation is recognized (within the guaranteed stack).</summary>
    private const nuint DriveStackWindow = 16 * 1024;

    /// <summary>Records <paramref name="mark"/>, the address of a local of the running Drive frame, if enough stack lies below it.</summary>
    private void MarkDriveStack(nuint mark) => _driveStackTop = RuntimeHelpers.TryEnsureSufficientExecutionStack() ? mark : 0;

    /// <summary>
    /// Whether the caller is the soft step this scheduler is executing, on the driving thread: then this scheduler is the
    /// calling thread's <see cref="Current"/>, known without reading the thread static. False means "unknown": read it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public unsafe bool IsCallerItsSoftStep()
    {
        byte here = 0;

        // Unsigned: an address above the mark, or no mark (0), wraps around to a huge distance.
        return _executingSoft is not null && _driveStackTop - (nuint)(&here) < DriveStackWindow;
    }
}
