using System.Buffers;

namespace Stackless.Emu.Monkeypatch;

/// <summary>
/// A <see cref="Stream"/> decorator for tasklets: its synchronous members (<see cref="Read(byte[], int, int)"/>,
/// <see cref="Write(byte[], int, int)"/>, <see cref="Flush"/>, <see cref="CopyTo(Stream, int)"/>, ...) suspend only the
/// calling tasklet (main or hard) while the inner stream's asynchronous operation runs, so code written against the
/// blocking API (<see cref="StreamReader.ReadLine"/>, <see cref="StreamWriter.WriteLine(string)"/>) becomes
/// cooperative. Asynchronous members pass through to the inner stream. Seeking and length members delegate.
/// </summary>
/// <remarks>
/// <para>
/// In a soft tasklet, which cannot wait in a synchronous call, a synchronous member completes directly when it needs
/// no waiting, and raises <see cref="InvalidOperationException"/> (before starting anything) when it would wait:
/// </para>
/// <list type="bullet">
/// <item>A regular file or an in-memory stream: every call runs as it is (reads, writes, flushes, copies to such a stream).</item>
/// <item>A socket (<see cref="System.Net.Sockets.NetworkStream"/>) or, on Unix, a pipe (<see cref="System.IO.Pipes.PipeStream"/>, a FIFO):
/// a read completes when data (or the end of the stream) is already there, and raises otherwise. A write always
/// completes: what the send buffer takes is sent at once, and the rest of the bytes is accepted and sent, in order,
/// while the tasklet runs on (one such write at a time: a second write while one is still in flight raises). A flush
/// completes (it never waited for the peer on these streams); it raises the failure of an earlier accepted write.</item>
/// <item>Any other stream: a read raises, since nothing tells beforehand whether it would wait; a write or flush is
/// started and, if it does not complete at once, accepted and left in flight as above.</item>
/// </list>
/// <para>
/// Later asynchronous writes and flushes (and those of main or hard tasklets) wait for the write in flight first, so
/// bytes never overtake each other. Disposing the stream while a write is in flight closes the inner stream once that
/// write has ended (<see cref="DisposeAsync"/> waits for it), so no accepted byte is lost.
/// </para>
/// <para>Thread safety: as the wrapped stream: one operation of each kind at a time, from any tasklet of any thread. A synchronous member suspends the calling tasklet (main or hard) of the calling thread's scheduler, or blocks a thread without tasklets as the wrapped stream would; an asynchronous member passes through and may be awaited anywhere.</para>
/// </remarks>
public class CooperativeStream : Stream
{
    private readonly Stream _inner;
    private readonly bool _leaveOpen;
    private readonly byte[] _oneByte = new byte[1];
    private readonly StreamReadiness _readiness;
    private readonly WriteBehind _writes;
    private bool _disposed;

    /// <summary>Wraps <paramref name="inner"/>; disposing the wrapper disposes it unless <paramref name="leaveOpen"/>.</summary>
    public CooperativeStream(Stream inner, bool leaveOpen = false)
        : this(inner, leaveOpen, new WriteBehind())
    {
    }

    /// <summary>Wraps <paramref name="inner"/>, sharing <paramref name="writes"/> with another wrapper of the same connection (a <see cref="CooperativeSocket"/>), so their writes stay in order.</summary>
    internal CooperativeStream(Stream inner, bool leaveOpen, WriteBehind writes)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
        _leaveOpen = leaveOpen;
        _readiness = new StreamReadiness(inner);
        _writes = writes;
    }

    /// <summary>The kind of the inner stream, for what a soft tasklet's synchronous call may do.</summary>
    internal StreamKind Kind => _readiness.Kind;

    /// <summary>The wrapped stream.</summary>
    public Stream Inner => _inner;

    /// <inheritdoc/>
    public override bool CanRead => _inner.CanRead;

    /// <inheritdoc/>
    public override bool CanWrite => _inner.CanWrite;

    /// <inheritdoc/>
    public override bool CanSeek => _inner.CanSeek;

    /// <inheritdoc/>
    public override bool CanTimeout => _inner.CanTimeout;

    /// <inheritdoc/>
    public override long Length => _inner.Length;

    /// <inheritdoc/>
    public override long Position
    {
        get => _inner.Position;
        set => _inner.Position = value;
    }

    /// <inheritdoc/>
    public override int ReadTimeout
    {
        get => _inner.ReadTimeout;
        set => _inner.ReadTimeout = value;
    }

    /// <inheritdoc/>
    public override int WriteTimeout
    {
        get => _inner.WriteTimeout;
        set => _inner.WriteTimeout = value;
    }

    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin) => _inner.Seek(offset, origin);

    /// <inheritdoc/>
    public override void SetLength(long value) => _inner.SetLength(value);

    // ---- synchronous forms: cooperative ------------------------------------------------------------

    /// <summary>Reads cooperatively: suspends only the calling tasklet until the inner stream's read completes (in a soft tasklet, see the remarks on the class).</summary>
    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        if (Cooperative.InSoftTasklet)
        {
            return ReadNow(buffer.AsSpan(offset, count));
        }

        return Cooperative.Wait(
            token => ReadCoreAsync(buffer.AsMemory(offset, count), token),
            "CooperativeStream.Read()",
            "CooperativeStream.ReadAsync()");
    }

    /// <summary>Reads cooperatively into <paramref name="buffer"/> (through a pooled array when it must wait).</summary>
    public override int Read(Span<byte> buffer)
    {
        if (Cooperative.InSoftTasklet)
        {
            return ReadNow(buffer);
        }

        var rented = ArrayPool<byte>.Shared.Rent(buffer.Length);
        try
        {
            var read = Read(rented, 0, buffer.Length);
            rented.AsSpan(0, read).CopyTo(buffer);
            return read;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Reads one byte cooperatively; -1 at the end of the stream.</summary>
    public override int ReadByte() => Read(_oneByte, 0, 1) == 0 ? -1 : _oneByte[0];

    /// <summary>Writes cooperatively: suspends only the calling tasklet until the inner stream's write completes (in a soft tasklet, see the remarks on the class).</summary>
    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        if (Cooperative.InSoftTasklet)
        {
            WriteNow(buffer.AsSpan(offset, count));
            return;
        }

        Cooperative.Wait(
            token => WriteCoreAsync(buffer.AsMemory(offset, count), token),
            "CooperativeStream.Write()",
            "CooperativeStream.WriteAsync()");
    }

    /// <summary>Writes <paramref name="buffer"/> cooperatively (through a pooled array when it must wait).</summary>
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (Cooperative.InSoftTasklet)
        {
            WriteNow(buffer);
            return;
        }

        var rented = ArrayPool<byte>.Shared.Rent(buffer.Length);
        try
        {
            buffer.CopyTo(rented);
            Write(rented, 0, buffer.Length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Writes one byte cooperatively.</summary>
    public override void WriteByte(byte value)
    {
        _oneByte[0] = value;
        Write(_oneByte, 0, 1);
    }

    /// <summary>
    /// Flushes cooperatively: waits for a write in flight, then for the inner stream's flush. In a soft tasklet: a
    /// file's flush runs as it is; a socket's or pipe's completes at once (their flush never waits for the peer) and
    /// raises the failure of an earlier accepted write; another stream's flush is started and left in flight if it
    /// does not complete at once.
    /// </summary>
    public override void Flush()
    {
        if (Cooperative.InSoftTasklet)
        {
            FlushNow();
            return;
        }

        Cooperative.Wait(FlushCoreAsync, "CooperativeStream.Flush()", "CooperativeStream.FlushAsync()");
    }

    /// <summary>Copies the rest of this stream to <paramref name="destination"/> cooperatively (in a soft tasklet: only from and to a file or an in-memory stream).</summary>
    public override void CopyTo(Stream destination, int bufferSize)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bufferSize);
        if (Cooperative.InSoftTasklet)
        {
            if (Kind != StreamKind.Immediate || StreamReadiness.KindOf(destination) != StreamKind.Immediate)
            {
                throw Cooperative.WouldWait(
                    "CooperativeStream.CopyTo()",
                    "CooperativeStream.CopyToAsync()",
                    "only a copy between files or in-memory streams needs no waiting");
            }

            _inner.CopyTo(destination, bufferSize);
            return;
        }

        Cooperative.Wait(
            token => new ValueTask(_inner.CopyToAsync(destination is CooperativeStream c ? c.Inner : destination, bufferSize, token)),
            "CooperativeStream.CopyTo()",
            "CooperativeStream.CopyToAsync()");
    }

    /// <summary>A soft tasklet's read: completes at once or raises before reading anything.</summary>
    private int ReadNow(Span<byte> buffer)
    {
        if (!_readiness.CanReadNow())
        {
            throw Cooperative.WouldWait(
                "CooperativeStream.Read()",
                "CooperativeStream.ReadAsync()",
                Kind == StreamKind.Other
                    ? $"nothing tells whether a read of {_inner.GetType().Name} would wait"
                    : "no data is there to read yet");
        }

        return _inner.Read(buffer);
    }

    /// <summary>A soft tasklet's write: completes at once, or is accepted and left in flight, or raises before starting.</summary>
    private void WriteNow(ReadOnlySpan<byte> buffer)
    {
        if (Kind == StreamKind.Immediate)
        {
            _inner.Write(buffer);
            return;
        }

        if (_writes.IsBusy)
        {
            throw Cooperative.WouldWait(
                "CooperativeStream.Write()",
                "CooperativeStream.WriteAsync()",
                "an earlier write is still in flight (the reader takes the bytes more slowly than they are written)");
        }

        _writes.Start(buffer, data => _inner.WriteAsync(data, CancellationToken.None));
    }

    /// <summary>A soft tasklet's flush (see <see cref="Flush"/>).</summary>
    private void FlushNow()
    {
        switch (Kind)
        {
            case StreamKind.Immediate:
                _inner.Flush();
                return;
            case StreamKind.Socket or StreamKind.Pipe:
                _writes.ThrowIfFailed();
                return;
        }

        if (_writes.IsBusy)
        {
            throw Cooperative.WouldWait(
                "CooperativeStream.Flush()",
                "CooperativeStream.FlushAsync()",
                "an earlier write is still in flight");
        }

        _writes.Start(() => new ValueTask(_inner.FlushAsync(CancellationToken.None)));
    }

    /// <summary>The inner read, after a write in flight when the stream is not duplex.</summary>
    private ValueTask<int> ReadCoreAsync(Memory<byte> buffer, CancellationToken token) =>
        _writes.IsIdle || _readiness.IsDuplex ? _inner.ReadAsync(buffer, token) : ReadAfterWritesAsync(buffer, token);

    private async ValueTask<int> ReadAfterWritesAsync(Memory<byte> buffer, CancellationToken token)
    {
        await _writes.DrainAsync().ConfigureAwait(false);
        token.ThrowIfCancellationRequested();
        return await _inner.ReadAsync(buffer, token).ConfigureAwait(false);
    }

    /// <summary>The inner write, after a write in flight.</summary>
    private ValueTask WriteCoreAsync(ReadOnlyMemory<byte> buffer, CancellationToken token) =>
        _writes.IsIdle ? _inner.WriteAsync(buffer, token) : WriteAfterWritesAsync(buffer, token);

    private async ValueTask WriteAfterWritesAsync(ReadOnlyMemory<byte> buffer, CancellationToken token)
    {
        await _writes.DrainAsync().ConfigureAwait(false);
        token.ThrowIfCancellationRequested();
        await _inner.WriteAsync(buffer, token).ConfigureAwait(false);
    }

    /// <summary>The inner flush, after a write in flight.</summary>
    private async ValueTask FlushCoreAsync(CancellationToken token)
    {
        if (!_writes.IsIdle)
        {
            await _writes.DrainAsync().ConfigureAwait(false);
            token.ThrowIfCancellationRequested();
        }

        await _inner.FlushAsync(token).ConfigureAwait(false);
    }

    // ---- asynchronous forms: pass through ----------------------------------------------------------

    /// <inheritdoc/>
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Cooperative.PassThroughAsync(token => ReadCoreAsync(buffer, token), cancellationToken);

    /// <inheritdoc/>
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <inheritdoc/>
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        Cooperative.PassThroughAsync(token => WriteCoreAsync(buffer, token), cancellationToken);

    /// <inheritdoc/>
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <inheritdoc/>
    public override Task FlushAsync(CancellationToken cancellationToken) =>
        Cooperative.PassThroughAsync(FlushCoreAsync, cancellationToken).AsTask();

    /// <inheritdoc/>
    public override Task CopyToAsync(Stream destination, int bufferSize, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(destination);
        return Cooperative.PassThroughAsync(
            token => new ValueTask(_inner.CopyToAsync(destination is CooperativeStream c ? c.Inner : destination, bufferSize, token)),
            cancellationToken).AsTask();
    }

    /// <inheritdoc/>
    public override IAsyncResult BeginRead(byte[] buffer, int offset, int count, AsyncCallback? callback, object? state) =>
        TaskToAsyncResult.Begin(ReadAsync(buffer, offset, count, CancellationToken.None), callback, state);

    /// <inheritdoc/>
    public override int EndRead(IAsyncResult asyncResult) => TaskToAsyncResult.End<int>(asyncResult);

    /// <inheritdoc/>
    public override IAsyncResult BeginWrite(byte[] buffer, int offset, int count, AsyncCallback? callback, object? state) =>
        TaskToAsyncResult.Begin(WriteAsync(buffer, offset, count, CancellationToken.None), callback, state);

    /// <inheritdoc/>
    public override void EndWrite(IAsyncResult asyncResult) => TaskToAsyncResult.End(asyncResult);

    // ---- disposal ----------------------------------------------------------------------------------

    /// <summary>Disposes the inner stream unless the wrapper was created with <c>leaveOpen</c> (once a write in flight has ended).</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _readiness.Dispose();
            if (!_leaveOpen)
            {
                _writes.CloseAfter(_inner.Dispose, "CooperativeStream.Dispose()");
            }
        }

        base.Dispose(disposing);
    }

    /// <summary>Disposes this wrapper, then runs <paramref name="close"/> (the owner's close of what the inner stream runs on) once a write in flight has ended.</summary>
    internal void DisposeThen(Action close)
    {
        Dispose();
        _writes.CloseAfter(close, "CooperativeStream.Dispose()");
    }

    /// <summary>Waits for a write in flight (raising its failure), then disposes the inner stream unless the wrapper was created with <c>leaveOpen</c>.</summary>
    public override async ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            _disposed = true;
            _readiness.Dispose();
            try
            {
                await _writes.DrainAsync().ConfigureAwait(false);
            }
            finally
            {
                if (!_leaveOpen)
                {
                    await _inner.DisposeAsync().ConfigureAwait(false);
                }
            }
        }

        await base.DisposeAsync().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }
}
