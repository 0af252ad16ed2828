using System.Buffers;

namespace Stackless.Emu.Monkeypatch;

/// <summary>
/// A <see cref="Stream"/> decorator for tasklets: its synchronous members (<see cref="Read(byte[], int, int)"/>,
/// <see cref="Write(byte[], int, int)"/>, <see cref="Flush"/>, <see cref="CopyTo(Stream, int)"/>, ...) suspend only the
/// calling tasklet (main or hard) while the inner stream's asynchronous operation runs, so code written against the
/// blocking API (<see cref="StreamReader.ReadLine"/>, <see cref="StreamWriter.WriteLine(string)"/>) becomes
/// cooperative. Asynchronous members pass through to the inner stream. Seeking and length members delegate.
/// Synchronous members called from a soft tasklet raise <see cref="InvalidOperationException"/>.
/// </summary>
public class CooperativeStream : Stream
{
    private readonly Stream _inner;
    private readonly bool _leaveOpen;
    private readonly byte[] _oneByte = new byte[1];
    private bool _disposed;

    /// <summary>Wraps <paramref name="inner"/>; disposing the wrapper disposes it unless <paramref name="leaveOpen"/>.</summary>
    public CooperativeStream(Stream inner, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
        _leaveOpen = leaveOpen;
    }

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

    /// <summary>Reads cooperatively: suspends only the calling tasklet until the inner stream's read completes.</summary>
    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Cooperative.Wait(
            token => _inner.ReadAsync(buffer.AsMemory(offset, count), token),
            "CooperativeStream.Read()",
            "CooperativeStream.ReadAsync()");
    }

    /// <summary>Reads cooperatively into <paramref name="buffer"/> (through a pooled array).</summary>
    public override int Read(Span<byte> buffer)
    {
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

    /// <summary>Writes cooperatively: suspends only the calling tasklet until the inner stream's write completes.</summary>
    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        Cooperative.Wait(
            token => _inner.WriteAsync(buffer.AsMemory(offset, count), token),
            "CooperativeStream.Write()",
            "CooperativeStream.WriteAsync()");
    }

    /// <summary>Writes <paramref name="buffer"/> cooperatively (through a pooled array).</summary>
    public override void Write(ReadOnlySpan<byte> buffer)
    {
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
    /// Flushes cooperatively. In a soft tasklet it is allowed when the inner flush completes at once (network and pipe
    /// streams, streams without buffers), because <see cref="StreamWriter"/> calls <c>Flush</c> from its own
    /// asynchronous and dispose paths; a flush that would wait raises the soft-tasklet error.
    /// </summary>
    public override void Flush()
    {
        if (Tasklet.Current.Kind == TaskletKind.Soft)
        {
            var flush = _inner.FlushAsync(CancellationToken.None);
            if (flush.IsCompleted)
            {
#pragma warning disable VSTHRD002 // Completed: this only unwraps its outcome.
                flush.GetAwaiter().GetResult();
#pragma warning restore VSTHRD002
                return;
            }

            _ = flush.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }

        Cooperative.Wait(token => new ValueTask(_inner.FlushAsync(token)), "CooperativeStream.Flush()", "CooperativeStream.FlushAsync()");
    }

    /// <summary>Copies the rest of this stream to <paramref name="destination"/> cooperatively.</summary>
    public override void CopyTo(Stream destination, int bufferSize)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bufferSize);
        Cooperative.Wait(
            token => new ValueTask(_inner.CopyToAsync(destination is CooperativeStream c ? c.Inner : destination, bufferSize, token)),
            "CooperativeStream.CopyTo()",
            "CooperativeStream.CopyToAsync()");
    }

    // ---- asynchronous forms: pass through ----------------------------------------------------------

    /// <inheritdoc/>
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Cooperative.PassThroughAsync(token => _inner.ReadAsync(buffer, token), cancellationToken);

    /// <inheritdoc/>
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <inheritdoc/>
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        Cooperative.PassThroughAsync(token => _inner.WriteAsync(buffer, token), cancellationToken);

    /// <inheritdoc/>
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <inheritdoc/>
    public override Task FlushAsync(CancellationToken cancellationToken) =>
        Cooperative.PassThroughAsync(token => new ValueTask(_inner.FlushAsync(token)), cancellationToken).AsTask();

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

    /// <summary>Disposes the inner stream unless the wrapper was created with <c>leaveOpen</c>.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            if (!_leaveOpen)
            {
                _inner.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    /// <inheritdoc/>
    public override async ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            _disposed = true;
            if (!_leaveOpen)
            {
                await _inner.DisposeAsync();
            }
        }

        await base.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
