using System.Buffers;
using System.Net;
using System.Net.Sockets;

namespace Stackless.Emu.Monkeypatch;

/// <summary>
/// A <see cref="Socket"/> for tasklets: <see cref="Accept"/>, <see cref="Connect(EndPoint)"/>, <see cref="Send(byte[], int, int, SocketFlags)"/>
/// and <see cref="Receive(byte[], int, int, SocketFlags)"/> suspend only the calling tasklet (main or hard) while the
/// socket's asynchronous operation runs; the asynchronous forms pass through.
/// </summary>
/// <remarks>
/// In a soft tasklet, which cannot wait in a synchronous call, a synchronous form completes directly when it needs no
/// waiting and raises <see cref="InvalidOperationException"/>, before starting anything, when it would wait:
/// <see cref="Receive(byte[], int, int, SocketFlags)"/> completes when data (or the peer's shutdown) is already there;
/// <see cref="Accept"/> when a connection is waiting; <see cref="Send(byte[], int, int, SocketFlags)"/> always completes
/// (what the send buffer takes goes at once, the rest is accepted and sent in order while the tasklet runs on; a second
/// send while one is still in flight raises, and the failure of an accepted send is raised by the next send);
/// <see cref="Connect(EndPoint)"/> always raises, since a connection needs the peer's answer. The streams from
/// <see cref="GetStream"/> share the socket's sends in flight, so bytes written through either stay in order.
/// One reader at a time: another thread receiving on the same socket could take the data a synchronous
/// <see cref="Receive(byte[], int, int, SocketFlags)"/> found ready.
/// <para>Thread safety: as the wrapped socket: one operation of each kind at a time, from any tasklet of any thread. A synchronous member suspends the calling tasklet (main or hard) of the calling thread's scheduler, or blocks a thread without tasklets as the wrapped socket would; an asynchronous member passes through and may be awaited anywhere.</para>
/// </remarks>
public sealed class CooperativeSocket : IDisposable
{
    private readonly WriteBehind _sends = new();

    /// <summary>Wraps <paramref name="socket"/>, which this wrapper now owns.</summary>
    public CooperativeSocket(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        Inner = socket;
    }

    /// <summary>Creates a socket, like <see cref="Socket(AddressFamily, SocketType, ProtocolType)"/>.</summary>
    public CooperativeSocket(AddressFamily addressFamily, SocketType socketType, ProtocolType protocolType)
        : this(new Socket(addressFamily, socketType, protocolType))
    {
    }

    /// <summary>The wrapped socket.</summary>
    public Socket Inner { get; }

    /// <summary>The local end point.</summary>
    public EndPoint? LocalEndPoint => Inner.LocalEndPoint;

    /// <summary>The remote end point.</summary>
    public EndPoint? RemoteEndPoint => Inner.RemoteEndPoint;

    /// <summary>Whether the socket was connected at its last operation.</summary>
    public bool Connected => Inner.Connected;

    /// <summary>Whether Nagle's algorithm is off.</summary>
    public bool NoDelay
    {
        get => Inner.NoDelay;
        set => Inner.NoDelay = value;
    }

    /// <summary>Binds the socket to <paramref name="localEndPoint"/> (does not block).</summary>
    public void Bind(EndPoint localEndPoint) => Inner.Bind(localEndPoint);

    /// <summary>Starts listening (does not block).</summary>
    public void Listen(int backlog = 512) => Inner.Listen(backlog);

    /// <summary>Accepts a connection cooperatively (in a soft tasklet: only one that is already waiting).</summary>
    public CooperativeSocket Accept()
    {
        if (Cooperative.InSoftTasklet)
        {
            if (!StreamReadiness.IsReadable(Inner))
            {
                throw Cooperative.WouldWait("CooperativeSocket.Accept()", "CooperativeSocket.AcceptAsync()", "no connection is waiting to be accepted");
            }

            return new(Inner.Accept());
        }

        return new(Cooperative.Wait(token => Inner.AcceptAsync(token), "CooperativeSocket.Accept()", "CooperativeSocket.AcceptAsync()"));
    }

    /// <summary>Accepts a connection.</summary>
    public async ValueTask<CooperativeSocket> AcceptAsync(CancellationToken cancellationToken = default) =>
        new(await Cooperative.PassThroughAsync(token => Inner.AcceptAsync(token), cancellationToken).ConfigureAwait(false));

    /// <summary>Connects cooperatively.</summary>
    public void Connect(EndPoint remoteEndPoint) =>
        Cooperative.Wait(token => Inner.ConnectAsync(remoteEndPoint, token), "CooperativeSocket.Connect()", "CooperativeSocket.ConnectAsync()");

    /// <summary>Connects cooperatively.</summary>
    public void Connect(IPAddress address, int port) => Connect(new IPEndPoint(address, port));

    /// <summary>Connects.</summary>
    public ValueTask ConnectAsync(EndPoint remoteEndPoint, CancellationToken cancellationToken = default) =>
        Cooperative.PassThroughAsync(token => Inner.ConnectAsync(remoteEndPoint, token), cancellationToken);

    /// <summary>Sends cooperatively; returns the number of bytes sent (in a soft tasklet: accepted, see the remarks on the class).</summary>
    public int Send(byte[] buffer, int offset, int size, SocketFlags socketFlags = SocketFlags.None)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        if (Cooperative.InSoftTasklet)
        {
            return SendNow(buffer.AsSpan(offset, size), socketFlags);
        }

        return Cooperative.Wait(
            token => SendCoreAsync(buffer.AsMemory(offset, size), socketFlags, token),
            "CooperativeSocket.Send()",
            "CooperativeSocket.SendAsync()");
    }

    /// <summary>Sends the whole of <paramref name="buffer"/> cooperatively.</summary>
    public int Send(byte[] buffer, SocketFlags socketFlags = SocketFlags.None)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        return Send(buffer, 0, buffer.Length, socketFlags);
    }

    /// <summary>Sends <paramref name="buffer"/> cooperatively (through a pooled array when it must wait).</summary>
    public int Send(ReadOnlySpan<byte> buffer, SocketFlags socketFlags = SocketFlags.None)
    {
        if (Cooperative.InSoftTasklet)
        {
            return SendNow(buffer, socketFlags);
        }

        var rented = ArrayPool<byte>.Shared.Rent(buffer.Length);
        try
        {
            buffer.CopyTo(rented);
            return Send(rented, 0, buffer.Length, socketFlags);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Receives cooperatively; returns the number of bytes received (0: the peer shut down). In a soft tasklet: only data already there.</summary>
    public int Receive(byte[] buffer, int offset, int size, SocketFlags socketFlags = SocketFlags.None)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        if (Cooperative.InSoftTasklet)
        {
            EnsureReadable();
            return Inner.Receive(buffer, offset, size, socketFlags);
        }

        return Cooperative.Wait(
            token => Inner.ReceiveAsync(buffer.AsMemory(offset, size), socketFlags, token),
            "CooperativeSocket.Receive()",
            "CooperativeSocket.ReceiveAsync()");
    }

    /// <summary>Receives into <paramref name="buffer"/> cooperatively.</summary>
    public int Receive(byte[] buffer, SocketFlags socketFlags = SocketFlags.None)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        return Receive(buffer, 0, buffer.Length, socketFlags);
    }

    /// <summary>Receives into <paramref name="buffer"/> cooperatively (through a pooled array when it must wait).</summary>
    public int Receive(Span<byte> buffer, SocketFlags socketFlags = SocketFlags.None)
    {
        if (Cooperative.InSoftTasklet)
        {
            EnsureReadable();
            return Inner.Receive(buffer, socketFlags);
        }

        var rented = ArrayPool<byte>.Shared.Rent(buffer.Length);
        try
        {
            var received = Receive(rented, 0, buffer.Length, socketFlags);
            rented.AsSpan(0, received).CopyTo(buffer);
            return received;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Sends (after a send still in flight from a soft tasklet's <see cref="Send(byte[], int, int, SocketFlags)"/>).</summary>
    public ValueTask<int> SendAsync(ReadOnlyMemory<byte> buffer, SocketFlags socketFlags = SocketFlags.None, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.CanBeCanceled || !_sends.IsIdle)
        {
            return Cooperative.PassThroughAsync(token => SendCoreAsync(buffer, socketFlags, token), cancellationToken);
        }

        var caller = Cooperative.EnterOperation();
        var token = caller.CancellationToken;
        return Cooperative.InterruptibleAsync(Inner.SendAsync(buffer, socketFlags, token), caller, token);
    }

    /// <summary>Receives.</summary>
    public ValueTask<int> ReceiveAsync(Memory<byte> buffer, SocketFlags socketFlags = SocketFlags.None, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.CanBeCanceled)
        {
            return Cooperative.PassThroughAsync(token => Inner.ReceiveAsync(buffer, socketFlags, token), cancellationToken);
        }

        var caller = Cooperative.EnterOperation();
        var token = caller.CancellationToken;
        return Cooperative.InterruptibleAsync(Inner.ReceiveAsync(buffer, socketFlags, token), caller, token);
    }

    /// <summary>A cooperative stream over the socket; disposing it closes the socket when <paramref name="ownsSocket"/>. Its writes and this socket's sends stay in order.</summary>
    public CooperativeStream GetStream(bool ownsSocket = true) => new(new NetworkStream(Inner, ownsSocket), leaveOpen: false, _sends);

    /// <summary>Disables sends and/or receives (does not block).</summary>
    public void Shutdown(SocketShutdown how) => Inner.Shutdown(how);

    /// <summary>Closes the socket (once a send in flight has ended).</summary>
    public void Close() => Dispose();

    /// <summary>Closes the socket, once a send still in flight from a soft tasklet's <see cref="Send(byte[], int, int, SocketFlags)"/> has ended, so no accepted byte is lost.</summary>
    public void Dispose() => _sends.CloseAfter(Inner.Dispose, "CooperativeSocket.Dispose()");

    /// <summary>Raises the soft-tasklet error unless a receive would complete at once.</summary>
    private void EnsureReadable()
    {
        if (!StreamReadiness.IsReadable(Inner))
        {
            throw Cooperative.WouldWait("CooperativeSocket.Receive()", "CooperativeSocket.ReceiveAsync()", "no data is there to receive yet");
        }
    }

    /// <summary>A soft tasklet's send: taken at once, or accepted and left in flight, or raises before sending anything.</summary>
    private int SendNow(ReadOnlySpan<byte> buffer, SocketFlags socketFlags)
    {
        if (_sends.IsBusy)
        {
            throw Cooperative.WouldWait(
                "CooperativeSocket.Send()",
                "CooperativeSocket.SendAsync()",
                "an earlier send is still in flight (the peer takes the bytes more slowly than they are sent)");
        }

        _sends.Start(buffer, data => SendCompletionAsync(Inner.SendAsync(data, socketFlags, CancellationToken.None)));
        return buffer.Length;
    }

    /// <summary>The send, after a send in flight.</summary>
    private ValueTask<int> SendCoreAsync(ReadOnlyMemory<byte> buffer, SocketFlags socketFlags, CancellationToken token) =>
        _sends.IsIdle ? Inner.SendAsync(buffer, socketFlags, token) : SendAfterAsync(buffer, socketFlags, token);

    private async ValueTask<int> SendAfterAsync(ReadOnlyMemory<byte> buffer, SocketFlags socketFlags, CancellationToken token)
    {
        await _sends.DrainAsync().ConfigureAwait(false);
        token.ThrowIfCancellationRequested();
        return await Inner.SendAsync(buffer, socketFlags, token).ConfigureAwait(false);
    }

    /// <summary>The completion of a send, without its count (a stream socket's asynchronous send sends everything).</summary>
    private static ValueTask SendCompletionAsync(ValueTask<int> send) => send.IsCompletedSuccessfully ? default : new ValueTask(send.AsTask());
}
