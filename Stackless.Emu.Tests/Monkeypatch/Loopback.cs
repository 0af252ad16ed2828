using System.Net;
using System.Net.Sockets;

namespace Stackless.Emu.Tests.Monkeypatch;

/// <summary>Connected loopback TCP socket pairs, made with plain blocking calls before any tasklet runs.</summary>
internal static class Loopback
{
    /// <summary>
    /// Timers and socket completions need a thread-pool thread; xunit's workers block in Isolated.Run's Join, and on a
    /// 2-core machine the pool's minimum (2) then starves them for ~0.5-1 s until it injects threads. Tests that
    /// measure time call this first.
    /// </summary>
    public static void EnsureThreadPool()
    {
        ThreadPool.GetMinThreads(out var workers, out var io);
        if (workers < 32)
        {
            ThreadPool.SetMinThreads(32, Math.Max(io, 32));
        }
    }

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
