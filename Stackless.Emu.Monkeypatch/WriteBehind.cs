using System.Buffers;
using Stackless.Emu.Diagnostics;

namespace Stackless.Emu.Monkeypatch;

/// <summary>
/// The one write that a soft tasklet's synchronous <c>Write</c>/<c>Send</c> (or <c>Flush</c> of an unknown stream) may
/// leave in flight. A soft tasklet cannot wait, so such a call copies its bytes and starts the asynchronous write: if
/// the stream takes them at once (a socket's send buffer has room, a pipe has room) it is done; otherwise the bytes
/// are accepted and go out, in order, while the tasklet runs on, as they would from a larger send buffer. Only one may
/// be in flight: a further synchronous write would have to wait for it, so it raises before starting anything.
/// Every later write, flush or (on a stream that is not duplex) read waits for it first; its failure is raised by the
/// next write or flush, as a socket reports a failed send.
/// </summary>
/// <remarks>Used on the owning tasklet's thread; the write in flight completes on any thread.</remarks>
internal sealed class WriteBehind
{
    private Task? _inFlight;

    /// <summary>Whether a write is still in flight.</summary>
    public bool IsBusy => Volatile.Read(ref _inFlight) is { IsCompleted: false };

    /// <summary>Whether nothing is in flight and no failure is left to report: a new write may start directly.</summary>
    public bool IsIdle => Volatile.Read(ref _inFlight) is null or { IsCompletedSuccessfully: true };

    /// <summary>Raises the failure of the write that was in flight, once; forgets a write that succeeded.</summary>
    public void ThrowIfFailed()
    {
        if (Volatile.Read(ref _inFlight) is { IsCompleted: true } done)
        {
            _inFlight = null;
#pragma warning disable VSTHRD002 // Completed: this only raises its failure.
            done.GetAwaiter().GetResult();
#pragma warning restore VSTHRD002
        }
    }

    /// <summary>
    /// Starts <paramref name="write"/> over a private copy of <paramref name="data"/> (the caller may reuse its buffer
    /// as soon as this returns). A write that completes at once raises its failure here; one that does not stays in
    /// flight. Call only when not <see cref="IsBusy"/>.
    /// </summary>
    public void Start(ReadOnlySpan<byte> data, Func<ReadOnlyMemory<byte>, ValueTask> write)
    {
        ThrowIfFailed();
        var copy = ArrayPool<byte>.Shared.Rent(data.Length);
        data.CopyTo(copy);
        ValueTask pending;
        try
        {
            pending = write(copy.AsMemory(0, data.Length));
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(copy);
            throw;
        }

        if (pending.IsCompleted)
        {
            try
            {
#pragma warning disable VSTHRD002 // Completed: this only raises its failure.
                pending.GetAwaiter().GetResult();
#pragma warning restore VSTHRD002
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(copy);
            }

            return;
        }

        _inFlight = FinishAsync(pending, copy);
    }

    /// <summary>Starts <paramref name="operation"/> (a flush); like <see cref="Start(ReadOnlySpan{byte}, Func{ReadOnlyMemory{byte}, ValueTask})"/> without data.</summary>
    public void Start(Func<ValueTask> operation)
    {
        ThrowIfFailed();
        var pending = operation();
        if (pending.IsCompleted)
        {
#pragma warning disable VSTHRD002 // Completed: this only raises its failure.
            pending.GetAwaiter().GetResult();
#pragma warning restore VSTHRD002
            return;
        }

        _inFlight = pending.AsTask();
    }

    /// <summary>Waits for the write in flight and raises its failure, once (asynchronous forms, and main or hard tasklets, before their own operation).</summary>
    public async ValueTask DrainAsync()
    {
        if (Volatile.Read(ref _inFlight) is not { } inFlight)
        {
            return;
        }

        try
        {
            await inFlight.ConfigureAwait(false);
        }
        finally
        {
            _ = Interlocked.CompareExchange(ref _inFlight, null, inFlight);
        }
    }

    /// <summary>
    /// Runs <paramref name="close"/> once the write in flight has ended (at once when none is), so that closing a stream
    /// loses no accepted byte; a failure nobody was left to see goes to <see cref="StacklessDiagnostics"/>.
    /// </summary>
    public void CloseAfter(Action close, string what)
    {
        var inFlight = Volatile.Read(ref _inFlight);
        _inFlight = null;
        if (inFlight is null)
        {
            close();
            return;
        }

        _ = inFlight.ContinueWith(
            t =>
            {
                close();
                if (t.Exception is { } error)
                {
                    StacklessDiagnostics.Report($"{what}: a write accepted by a synchronous call failed after the stream was closed", error.InnerException);
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private static async Task FinishAsync(ValueTask pending, byte[] copy)
    {
        try
        {
            await pending.ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(copy);
        }
    }
}
