using System.Buffers;
using System.Net;
using System.Net.Sockets;

namespace Stackless.Emu.Monkeypatch;

/// <summary>
/// A <see cref="Socket"/> for tasklets: <see cref="Accept"/>, <see cref="Connect(EndPoint)"/>, <see cref="Send(byte[], int, int, SocketFlags)"/>
/// and <see cref="Receive(byte[], int, int, SocketFlags)"/> suspend only the calling tasklet (main or hard) while the
/// socket's asynchronous operation runs; the asynchronous forms pass through. Raises
/// <see cref="InvalidOperationException"/> when a synchronous form is called from a soft tasklet.
/// </summary>
public sealed class CooperativeSocket : IDisposable
{
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

    /// <summary>Accepts a connection cooperatively.</summary>
    public CooperativeSocket Accept() =>
        new(Cooperative.Wait(token => Inner.AcceptAsync(token), "CooperativeSocket.Accept()", "CooperativeSocket.AcceptAsync()"));

    /// <summary>Accepts a connection.</summary>
    public async ValueTask<CooperativeSocket> AcceptAsync(CancellationToken cancellationToken = default) =>
        new(await Cooperative.PassThroughAsync(token => Inner.AcceptAsync(token), cancellationToken));

    /// <summary>Connects cooperatively.</summary>
    public void Connect(EndPoint remoteEndPoint) =>
        Cooperative.Wait(token => Inner.ConnectAsync(remoteEndPoint, token), "CooperativeSocket.Connect()", "CooperativeSocket.ConnectAsync()");

    /// <summary>Connects cooperatively.</summary>
    public void Connect(IPAddress address, int port) => Connect(new IPEndPoint(address, port));

    /// <summary>Connects.</summary>
    public ValueTask ConnectAsync(EndPoint remoteEndPoint, CancellationToken cancellationToken = default) =>
        Cooperative.PassThroughAsync(token => Inner.ConnectAsync(remoteEndPoint, token), cancellationToken);

    /// <summary>Sends cooperatively; returns the number of bytes sent.</summary>
    public int Send(byte[] buffer, int offset, int size, SocketFlags socketFlags = SocketFlags.None)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        return Cooperative.Wait(
            token => Inner.SendAsync(buffer.AsMemory(offset, size), socketFlags, token),
            "CooperativeSocket.Send()",
            "CooperativeSocket.SendAsync()");
    }

    /// <summary>Sends the whole of <paramref name="buffer"/> cooperatively.</summary>
    public int Send(byte[] buffer, SocketFlags socketFlags = SocketFlags.None)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        return Send(buffer, 0, buffer.Length, socketFlags);
    }

    /// <summary>Sends <paramref name="buffer"/> cooperatively (through a pooled array).</summary>
    public int Send(ReadOnlySpan<byte> buffer, SocketFlags socketFlags = SocketFlags.None)
    {
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

    /// <summary>Receives cooperatively; returns the number of bytes received (0: the peer shut down).</summary>
    public int Receive(byte[] buffer, int offset, int size, SocketFlags socketFlags = SocketFlags.None)
    {
        ArgumentNullException.ThrowIfNull(buffer);
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

    /// <summary>Receives into <paramref name="buffer"/> cooperatively (through a pooled array).</summary>
    public int Receive(Span<byte> buffer, SocketFlags socketFlags = SocketFlags.None)
    {
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

    /// <summary>Sends.</summary>
    public ValueTask<int> SendAsync(ReadOnlyMemory<byte> buffer, SocketFlags socketFlags = SocketFlags.None, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.CanBeCanceled)
        {
            return Cooperative.PassThroughAsync(token => Inner.SendAsync(buffer, socketFlags, token), cancellationToken);
        }

        var token = Tasklet.Current.CancellationToken;
        return Cooperative.InterruptibleAsync(Inner.SendAsync(buffer, socketFlags, token), token);
    }

    /// <summary>Receives.</summary>
    public ValueTask<int> ReceiveAsync(Memory<byte> buffer, SocketFlags socketFlags = SocketFlags.None, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.CanBeCanceled)
        {
            return Cooperative.PassThroughAsync(token => Inner.ReceiveAsync(buffer, socketFlags, token), cancellationToken);
        }

        var token = Tasklet.Current.CancellationToken;
        return Cooperative.InterruptibleAsync(Inner.ReceiveAsync(buffer, socketFlags, token), token);
    }

    /// <summary>A cooperative stream over the socket; disposing it closes the socket when <paramref name="ownsSocket"/>.</summary>
    public CooperativeStream GetStream(bool ownsSocket = true) => new(new NetworkStream(Inner, ownsSocket));

    /// <summary>Disables sends and/or receives (does not block).</summary>
    public void Shutdown(SocketShutdown how) => Inner.Shutdown(how);

    /// <summary>Closes the socket.</summary>
    public void Close() => Inner.Close();

    /// <inheritdoc/>
    public void Dispose() => Inner.Dispose();
}
