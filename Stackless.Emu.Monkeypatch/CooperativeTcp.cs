using System.Net;
using System.Net.Sockets;

namespace Stackless.Emu.Monkeypatch;

/// <summary>
/// A <see cref="TcpListener"/> for tasklets: <see cref="AcceptTcpClient"/> suspends only the calling tasklet (main or
/// hard); <see cref="AcceptTcpClientAsync"/> passes through. Both return <see cref="CooperativeTcpClient"/>s. In a soft
/// tasklet the synchronous accepts complete when a connection is already waiting (<see cref="TcpListener.Pending"/>)
/// and raise <see cref="InvalidOperationException"/> otherwise.
/// </summary>
/// <remarks>Thread safety: as the wrapped listener: one operation of each kind at a time, from any tasklet of any thread. A synchronous member suspends the calling tasklet (main or hard) of the calling thread's scheduler, or blocks a thread without tasklets as the wrapped listener would; an asynchronous member passes through and may be awaited anywhere.</remarks>
public sealed class CooperativeTcpListener : IDisposable
{
    /// <summary>Listens on <paramref name="localAddress"/>:<paramref name="port"/> (0: any free port) once started.</summary>
    public CooperativeTcpListener(IPAddress localAddress, int port) => Inner = new TcpListener(localAddress, port);

    /// <summary>Listens on <paramref name="localEndPoint"/> once started.</summary>
    public CooperativeTcpListener(IPEndPoint localEndPoint) => Inner = new TcpListener(localEndPoint);

    /// <summary>The wrapped listener.</summary>
    public TcpListener Inner { get; }

    /// <summary>The local end point (its port is known once started).</summary>
    public EndPoint LocalEndpoint => Inner.LocalEndpoint;

    /// <summary>The listening port.</summary>
    public int Port => ((IPEndPoint)Inner.LocalEndpoint).Port;

    /// <summary>Starts listening.</summary>
    public void Start(int backlog = 512) => Inner.Start(backlog);

    /// <summary>Stops listening.</summary>
    public void Stop() => Inner.Stop();

    /// <summary>Accepts a connection cooperatively.</summary>
    public CooperativeTcpClient AcceptTcpClient() =>
        Cooperative.InSoftTasklet
            ? new(AcceptNow("CooperativeTcpListener.AcceptTcpClient()", "CooperativeTcpListener.AcceptTcpClientAsync()").AcceptTcpClient())
            : new(Cooperative.Wait(
            token => Inner.AcceptTcpClientAsync(token),
            "CooperativeTcpListener.AcceptTcpClient()",
            "CooperativeTcpListener.AcceptTcpClientAsync()"));

    /// <summary>Accepts a connection.</summary>
    public async ValueTask<CooperativeTcpClient> AcceptTcpClientAsync(CancellationToken cancellationToken = default) =>
        new(await Cooperative.PassThroughAsync(token => Inner.AcceptTcpClientAsync(token), cancellationToken).ConfigureAwait(false));

    /// <summary>Accepts a connection as a socket, cooperatively.</summary>
    public CooperativeSocket AcceptSocket() =>
        Cooperative.InSoftTasklet
            ? new(AcceptNow("CooperativeTcpListener.AcceptSocket()", "CooperativeTcpListener.AcceptSocketAsync()").AcceptSocket())
            : new(Cooperative.Wait(token => Inner.AcceptSocketAsync(token), "CooperativeTcpListener.AcceptSocket()", "CooperativeTcpListener.AcceptSocketAsync()"));

    /// <summary>Accepts a connection as a socket.</summary>
    public async ValueTask<CooperativeSocket> AcceptSocketAsync(CancellationToken cancellationToken = default) =>
        new(await Cooperative.PassThroughAsync(token => Inner.AcceptSocketAsync(token), cancellationToken).ConfigureAwait(false));

    /// <inheritdoc/>
    public void Dispose() => Inner.Dispose();

    /// <summary>The listener, for a soft tasklet's accept of a connection already waiting; raises the soft-tasklet error otherwise.</summary>
    private TcpListener AcceptNow(string syncName, string asyncName) =>
        Inner.Pending() ? Inner : throw Cooperative.WouldWait(syncName, asyncName, "no connection is waiting to be accepted");
}

/// <summary>
/// A <see cref="TcpClient"/> for tasklets: <see cref="Connect(IPAddress, int)"/> suspends only the calling tasklet
/// (main or hard) and <see cref="GetStream"/> returns a <see cref="CooperativeStream"/> over the network stream.
/// </summary>
/// <remarks>Thread safety: as the wrapped client: one operation of each kind at a time, from any tasklet of any thread. A synchronous member suspends the calling tasklet (main or hard) of the calling thread's scheduler, or blocks a thread without tasklets as the wrapped client would; an asynchronous member passes through and may be awaited anywhere.</remarks>
public sealed class CooperativeTcpClient : IDisposable
{
    private CooperativeStream? _stream;

    /// <summary>Creates an unconnected client.</summary>
    public CooperativeTcpClient()
        : this(new TcpClient())
    {
    }

    /// <summary>Wraps <paramref name="client"/>, which this wrapper now owns.</summary>
    public CooperativeTcpClient(TcpClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        Inner = client;
    }

    /// <summary>The wrapped client.</summary>
    public TcpClient Inner { get; }

    /// <summary>The underlying socket.</summary>
    public Socket Client => Inner.Client;

    /// <summary>Whether the client was connected at its last operation.</summary>
    public bool Connected => Inner.Connected;

    /// <summary>Whether Nagle's algorithm is off.</summary>
    public bool NoDelay
    {
        get => Inner.NoDelay;
        set => Inner.NoDelay = value;
    }

    /// <summary>Connects cooperatively.</summary>
    public void Connect(IPAddress address, int port) =>
        Cooperative.Wait(token => Inner.ConnectAsync(address, port, token), "CooperativeTcpClient.Connect()", "CooperativeTcpClient.ConnectAsync()");

    /// <summary>Connects cooperatively.</summary>
    public void Connect(IPEndPoint remoteEndPoint)
    {
        ArgumentNullException.ThrowIfNull(remoteEndPoint);
        Connect(remoteEndPoint.Address, remoteEndPoint.Port);
    }

    /// <summary>Connects cooperatively (resolving <paramref name="host"/> asynchronously).</summary>
    public void Connect(string host, int port) =>
        Cooperative.Wait(token => Inner.ConnectAsync(host, port, token), "CooperativeTcpClient.Connect()", "CooperativeTcpClient.ConnectAsync()");

    /// <summary>Connects.</summary>
    public ValueTask ConnectAsync(IPAddress address, int port, CancellationToken cancellationToken = default) =>
        Cooperative.PassThroughAsync(token => Inner.ConnectAsync(address, port, token), cancellationToken);

    /// <summary>Connects.</summary>
    public ValueTask ConnectAsync(string host, int port, CancellationToken cancellationToken = default) =>
        Cooperative.PassThroughAsync(token => Inner.ConnectAsync(host, port, token), cancellationToken);

    /// <summary>The cooperative stream over the connection (the same one on every call; the client owns it).</summary>
    public CooperativeStream GetStream() => _stream ??= new CooperativeStream(Inner.GetStream(), leaveOpen: true);

    /// <summary>Closes the connection.</summary>
    public void Close() => Dispose();

    /// <summary>Closes the connection, once a write a soft tasklet left in flight on <see cref="GetStream"/> has ended, so no accepted byte is lost.</summary>
    public void Dispose()
    {
        if (_stream is { } stream)
        {
            stream.DisposeThen(Inner.Dispose);
            return;
        }

        Inner.Dispose();
    }
}
