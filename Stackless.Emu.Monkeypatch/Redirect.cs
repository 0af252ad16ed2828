using System.Buffers;
using System.ComponentModel;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Stackless.Emu.Monkeypatch;

/// <summary>
/// The targets of compile-time redirection (Stackless.Emu.Monkeypatch.Generators): the generated interceptors replace
/// call sites of blocking BCL methods with these. Each one calls the original blocking method when nothing else could
/// run meanwhile (<see cref="Cooperative.CanBlockDirectly"/>: plain code on a thread without tasklets), and otherwise
/// suspends only the calling main or hard tasklet while the asynchronous form runs. Like the wrappers, they raise
/// <see cref="InvalidOperationException"/> in a soft tasklet, where blocking would stall the whole scheduler.
/// </summary>
/// <remarks>Thread safety: every member may be called from any thread, as the method it replaces; it acts on the calling
/// thread's scheduler.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Redirect
{
    /// <summary>Cooperative <see cref="Thread.Sleep(int)"/>.</summary>
    public static void Sleep(int millisecondsTimeout)
    {
        if (Cooperative.CanBlockDirectly)
        {
            Thread.Sleep(millisecondsTimeout);
            return;
        }

        Cooperative.Sleep(millisecondsTimeout);
    }

    /// <summary>Cooperative <see cref="Thread.Sleep(TimeSpan)"/>.</summary>
    public static void Sleep(TimeSpan timeout)
    {
        if (Cooperative.CanBlockDirectly)
        {
            Thread.Sleep(timeout);
            return;
        }

        Cooperative.Sleep(timeout);
    }

    /// <summary>Cooperative <see cref="Stream.Read(byte[], int, int)"/>.</summary>
    public static int Read(Stream stream, byte[] buffer, int offset, int count)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (stream is CooperativeStream || Cooperative.CanBlockDirectly)
        {
            return stream.Read(buffer, offset, count);
        }

        return Cooperative.Wait(token => stream.ReadAsync(buffer.AsMemory(offset, count), token), "Stream.Read()", "Stream.ReadAsync()");
    }

    /// <summary>Cooperative <see cref="Stream.Read(Span{byte})"/>.</summary>
    public static int Read(Stream stream, Span<byte> buffer)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (stream is CooperativeStream || Cooperative.CanBlockDirectly)
        {
            return stream.Read(buffer);
        }

        var rented = ArrayPool<byte>.Shared.Rent(buffer.Length);
        try
        {
            var read = Read(stream, rented, 0, buffer.Length);
            rented.AsSpan(0, read).CopyTo(buffer);
            return read;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Cooperative <see cref="Stream.Write(byte[], int, int)"/>.</summary>
    public static void Write(Stream stream, byte[] buffer, int offset, int count)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (stream is CooperativeStream || Cooperative.CanBlockDirectly)
        {
            stream.Write(buffer, offset, count);
            return;
        }

        Cooperative.Wait(token => stream.WriteAsync(buffer.AsMemory(offset, count), token), "Stream.Write()", "Stream.WriteAsync()");
    }

    /// <summary>Cooperative <see cref="Stream.Write(ReadOnlySpan{byte})"/>.</summary>
    public static void Write(Stream stream, ReadOnlySpan<byte> buffer)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (stream is CooperativeStream || Cooperative.CanBlockDirectly)
        {
            stream.Write(buffer);
            return;
        }

        var rented = ArrayPool<byte>.Shared.Rent(buffer.Length);
        try
        {
            buffer.CopyTo(rented);
            Write(stream, rented, 0, buffer.Length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Cooperative <see cref="Socket.Receive(byte[], int, int, SocketFlags)"/>.</summary>
    public static int Receive(Socket socket, byte[] buffer, int offset, int size, SocketFlags socketFlags)
    {
        ArgumentNullException.ThrowIfNull(socket);
        return Cooperative.CanBlockDirectly
            ? socket.Receive(buffer, offset, size, socketFlags)
            : new CooperativeSocket(socket).Receive(buffer, offset, size, socketFlags);
    }

    /// <summary>Cooperative <see cref="Socket.Receive(byte[])"/>.</summary>
    public static int Receive(Socket socket, byte[] buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        return Receive(socket, buffer, 0, buffer.Length, SocketFlags.None);
    }

    /// <summary>Cooperative <see cref="Socket.Receive(Span{byte})"/>.</summary>
    public static int Receive(Socket socket, Span<byte> buffer)
    {
        ArgumentNullException.ThrowIfNull(socket);
        return Cooperative.CanBlockDirectly ? socket.Receive(buffer) : new CooperativeSocket(socket).Receive(buffer);
    }

    /// <summary>Cooperative <see cref="Socket.Send(byte[], int, int, SocketFlags)"/>.</summary>
    public static int Send(Socket socket, byte[] buffer, int offset, int size, SocketFlags socketFlags)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (Cooperative.CanBlockDirectly)
        {
            return socket.Send(buffer, offset, size, socketFlags);
        }

        // A bare socket has nowhere to keep a send left in flight (CooperativeSocket does): a soft tasklet raises.
        Cooperative.EnterSync("Socket.Send()", "Socket.SendAsync()");
        return new CooperativeSocket(socket).Send(buffer, offset, size, socketFlags);
    }

    /// <summary>Cooperative <see cref="Socket.Send(byte[])"/>.</summary>
    public static int Send(Socket socket, byte[] buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        return Send(socket, buffer, 0, buffer.Length, SocketFlags.None);
    }

    /// <summary>Cooperative <see cref="Socket.Send(ReadOnlySpan{byte})"/>.</summary>
    public static int Send(Socket socket, ReadOnlySpan<byte> buffer)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (Cooperative.CanBlockDirectly)
        {
            return socket.Send(buffer);
        }

        Cooperative.EnterSync("Socket.Send()", "Socket.SendAsync()");
        return new CooperativeSocket(socket).Send(buffer);
    }

    /// <summary>Cooperative <see cref="Socket.Accept"/>.</summary>
    public static Socket Accept(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        return Cooperative.CanBlockDirectly ? socket.Accept() : new CooperativeSocket(socket).Accept().Inner;
    }

    /// <summary>Cooperative <see cref="Socket.Connect(EndPoint)"/>.</summary>
    public static void Connect(Socket socket, EndPoint remoteEP)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (Cooperative.CanBlockDirectly)
        {
            socket.Connect(remoteEP);
            return;
        }

        new CooperativeSocket(socket).Connect(remoteEP);
    }

    /// <summary>Cooperative <see cref="Socket.Connect(IPAddress, int)"/>.</summary>
    public static void Connect(Socket socket, IPAddress address, int port) => Connect(socket, new IPEndPoint(address, port));

    /// <summary>Cooperative <see cref="Process.WaitForExit()"/>.</summary>
    public static void WaitForExit(Process process)
    {
        ArgumentNullException.ThrowIfNull(process);
        if (Cooperative.CanBlockDirectly)
        {
            process.WaitForExit();
            return;
        }

        Cooperative.Wait(token => new ValueTask(process.WaitForExitAsync(token)), "Process.WaitForExit()", "Process.WaitForExitAsync()");
    }

    /// <summary>Cooperative <see cref="Process.WaitForExit(int)"/>.</summary>
    public static bool WaitForExit(Process process, int milliseconds)
    {
        ArgumentNullException.ThrowIfNull(process);
        if (Cooperative.CanBlockDirectly)
        {
            return process.WaitForExit(milliseconds);
        }

        return Cooperative.Wait(
            async token =>
            {
                using var timer = CancellationTokenSource.CreateLinkedTokenSource(token);
                timer.CancelAfter(milliseconds);
                try
                {
                    await process.WaitForExitAsync(timer.Token).ConfigureAwait(false);
                    return true;
                }
                catch (OperationCanceledException) when (!token.IsCancellationRequested)
                {
                    return false;
                }
            },
            "Process.WaitForExit()",
            "Process.WaitForExitAsync()");
    }
}
