using System.Net;
using System.Net.Sockets;

namespace Stackless.Emu.Tests.Monkeypatch;

/// <summary>Connected loopback TCP socket pairs, made with plain blocking calls before any tasklet runs.</summary>
internal static class Loopback
{
    public static (Socket Client, Socket Server) Pair()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.Connect(listener.LocalEndPoint!);
        var server = listener.Accept();
        server.NoDelay = true;
        return (client, server);
    }
}
