using System.IO.Pipes;
using System.Net.Sockets;

namespace Stackless.Emu.Monkeypatch;

/// <summary>What a soft tasklet's synchronous call on a stream can complete without waiting, by the stream's kind.</summary>
internal enum StreamKind
{
    /// <summary>
    /// Never waits for a peer: a regular (seekable) file or an in-memory stream. Synchronous calls run as they are (a
    /// file read or write takes as long as the disk, like a page fault, and cannot wait for ever).
    /// </summary>
    Immediate,

    /// <summary>A socket (<see cref="NetworkStream"/>): a read completes at once when the socket is readable.</summary>
    Socket,

    /// <summary>
    /// A pipe (<see cref="PipeStream"/>) or an unseekable file (FIFO, terminal) on Unix: a read completes at once when
    /// its descriptor is readable.
    /// </summary>
    Pipe,

    /// <summary>Any other stream: nothing tells before a read starts whether it would wait.</summary>
    Other,
}

/// <summary>
/// Tells, before a soft tasklet's synchronous call starts anything, whether it would wait: the call then either runs
/// to completion at once or raises, so no operation is ever started and abandoned (which would lose or duplicate data).
/// </summary>
internal sealed class StreamReadiness : IDisposable
{
    private readonly Stream _stream;

    /// <summary>A socket object over the pipe's descriptor, for <see cref="Socket.Poll(int, SelectMode)"/> only; it does not own the descriptor.</summary>
    private Socket? _pipePoller;

    public StreamReadiness(Stream stream)
    {
        _stream = stream;
        Kind = KindOf(stream);
    }

    /// <summary>The stream's kind.</summary>
    public StreamKind Kind { get; }

    /// <summary>Whether reads and writes are independent (a socket or a pipe): a read need not wait for a write in flight.</summary>
    public bool IsDuplex => Kind is StreamKind.Socket or StreamKind.Pipe;

    /// <summary>The kind of <paramref name="stream"/>.</summary>
    public static StreamKind KindOf(Stream stream) => stream switch
    {
        CooperativeStream cooperative => cooperative.Kind,
        MemoryStream or UnmanagedMemoryStream => StreamKind.Immediate,
        FileStream { CanSeek: true } => StreamKind.Immediate,
        NetworkStream => StreamKind.Socket,
        PipeStream or FileStream when !OperatingSystem.IsWindows() => StreamKind.Pipe,
        _ => StreamKind.Other,
    };

    /// <summary>
    /// Whether a read completes without waiting: data is there, the peer has closed, or the stream has failed (the read
    /// then raises the error at once). One reader at a time: another thread reading the same stream between this check
    /// and the read could take the data first.
    /// </summary>
    public bool CanReadNow()
    {
        switch (Kind)
        {
            case StreamKind.Immediate:
                return true;
            case StreamKind.Socket:
                return IsReadable(((NetworkStream)_stream).Socket);
            case StreamKind.Pipe:
                return PipePoller() is not { } poller || IsReadable(poller);
            default:
                return false;
        }
    }

    /// <summary>Whether a read on <paramref name="socket"/> returns at once (data, end of stream, or an error to raise).</summary>
    public static bool IsReadable(Socket socket)
    {
        try
        {
            return socket.Poll(0, SelectMode.SelectRead);
        }
        catch (Exception ex) when (ex is ObjectDisposedException or SocketException)
        {
            return true; // the read itself raises the error at once
        }
    }

    /// <summary>The poller over the pipe's descriptor, created on first use; null when the stream is closed or not connected (the read raises at once).</summary>
    private Socket? PipePoller()
    {
        if (_pipePoller is { } poller)
        {
            return poller;
        }

        try
        {
            var handle = _stream switch
            {
                PipeStream pipe => pipe.SafePipeHandle.DangerousGetHandle(),
                FileStream file => file.SafeFileHandle.DangerousGetHandle(),
                _ => throw new InvalidOperationException("not a pipe"),
            };
            return _pipePoller = new Socket(new SafeSocketHandle(handle, ownsHandle: false));
        }
        catch (Exception ex) when (ex is ObjectDisposedException or InvalidOperationException or SocketException)
        {
            return null;
        }
    }

    /// <summary>Drops the poller (the descriptor stays open: it belongs to the stream).</summary>
    public void Dispose() => _pipePoller?.Dispose();
}
