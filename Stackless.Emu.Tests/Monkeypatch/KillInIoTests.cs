using System.Net;
using System.Net.Sockets;
using Stackless.Emu.Monkeypatch;
using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Monkeypatch;

/// <summary>
/// Kills and throws into tasklets blocked in cooperative I/O (issue 12 items 6 and 8): the killer's call returns once
/// the target has died (or caught and suspended again), the target sees the kill or the thrown exception (never the
/// cancellation that interrupted its operation), its <c>finally</c> runs, and nothing is left to hang the scheduler.
/// </summary>
public class KillInIoTests
{
    private sealed class MyError : Exception
    {
        public MyError()
            : base("thrown in")
        {
        }
    }

    private static int Rounds(int light, int full) => Environment.GetEnvironmentVariable("STACKLESS_FULL_STRESS") == "1" ? full : light;

    [Fact]
    public void A_soft_tasklet_killed_in_CooperativeStream_ReadAsync_sees_TaskletExit_and_ends_quietly() => Isolated.Run(() =>
    {
        var (a, b) = Loopback.Pair();
        using var peer = b;
        var log = new List<string>();
        var reader = Tasklet.Spawn(async () =>
        {
            await using var stream = new CooperativeStream(new NetworkStream(a, ownsSocket: true));
            try
            {
                _ = await stream.ReadAsync(new byte[8]);
                log.Add("read");
            }
            catch (OperationCanceledException)
            {
                log.Add("saw the cancellation");
                throw;
            }
            catch (TaskletExit)
            {
                log.Add("saw the kill");
                throw;
            }
            finally
            {
                log.Add("finally");
            }
        });
        Scheduler.Schedule();
        Assert.True(reader.BlockedOnIO);
        reader.Kill();
        Assert.False(reader.Alive, "Kill returns once the target has died");
        Assert.Equal(["saw the kill", "finally"], log);
        Scheduler.Run(); // raises if anything but TaskletExit ended the tasklet
    });

    [Fact]
    public void A_TaskletFrame_body_killed_in_ReadAsync_sees_TaskletExit() => Isolated.Run(() =>
    {
        var (a, b) = Loopback.Pair();
        using var peer = b;
        var log = new List<string>();
        var reader = Tasklet.SpawnFrame(() => ReadFrame(a, log));
        Scheduler.Schedule();
        Assert.True(reader.BlockedOnIO);
        reader.Kill();
        Assert.False(reader.Alive);
        Assert.Equal(["saw the kill", "finally"], log);
        Scheduler.Run();
    });

    private static async TaskletFrame ReadFrame(Socket socket, List<string> log)
    {
        var stream = new CooperativeStream(new NetworkStream(socket, ownsSocket: true));
        try
        {
            _ = await stream.ReadAsync(new byte[8]);
            log.Add("read");
        }
        catch (OperationCanceledException)
        {
            log.Add("saw the cancellation");
            throw;
        }
        catch (TaskletExit)
        {
            log.Add("saw the kill");
            throw;
        }
        finally
        {
            stream.Dispose();
            log.Add("finally");
        }
    }

    [Fact]
    public void Throw_into_a_soft_tasklet_in_ReadAsync_is_seen_as_that_exception_and_it_reads_on() => Isolated.Run(() =>
    {
        var (a, b) = Loopback.Pair();
        using var peer = b;
        var log = new List<string>();
        var reader = Tasklet.Spawn(async () =>
        {
            await using var stream = new CooperativeStream(new NetworkStream(a, ownsSocket: true));
            var buffer = new byte[8];
            try
            {
                _ = await stream.ReadAsync(buffer);
            }
            catch (MyError error)
            {
                log.Add("caught " + error.Message);
            }

            var n = await stream.ReadAsync(buffer);
            log.Add("then read " + n);
        });
        Scheduler.Schedule();
        var thrown = new MyError();
        reader.Throw(thrown);
        Assert.Equal(["caught thrown in"], log);
        Assert.True(reader.Alive && reader.BlockedOnIO, "it caught the error and waits in its next read");
        b.Send([1, 2, 3]);
        Scheduler.Run();
        Assert.Equal(["caught thrown in", "then read 3"], log);
    });

    [Fact]
    public void Killing_one_of_two_readers_leaves_the_other_reading() => Isolated.Run(() =>
    {
        var (a1, b1) = Loopback.Pair();
        var (a2, b2) = Loopback.Pair();
        using var peer1 = b1;
        using var peer2 = b2;
        var log = new List<string>();
        Tasklet Reader(string name, Socket socket) => Tasklet.Spawn(async () =>
        {
            using var cooperative = new CooperativeSocket(socket);
            try
            {
                var n = await cooperative.ReceiveAsync(new byte[8]);
                log.Add($"{name} read {n}");
            }
            catch (TaskletExit)
            {
                log.Add(name + " killed");
                throw;
            }
        });
        var first = Reader("first", a1);
        var second = Reader("second", a2);
        Scheduler.Schedule();
        b2.Send([1, 2]);
        first.Kill();
        Scheduler.Run();
        Assert.Equal(["first killed", "second read 2"], log.Order()); // which runs first depends on when the data arrives
        Assert.False(first.Alive || second.Alive);
    });

    [Fact]
    public void The_issue_repro_Kill_of_a_soft_tasklet_in_AcceptAsync_returns_after_its_finally() => Isolated.Run(() =>
    {
        using var listener = new CooperativeSocket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        using var tcpListener = new CooperativeTcpListener(IPAddress.Loopback, 0);
        tcpListener.Start();
        var finallies = 0;
        var t = Tasklet.Spawn(async () =>
        {
            try
            {
                using var accepted = await listener.AcceptAsync();
            }
            finally
            {
                finallies++;
            }
        });
        var u = Tasklet.Spawn(async () =>
        {
            try
            {
                using var accepted = await tcpListener.AcceptTcpClientAsync();
            }
            finally
            {
                finallies++;
            }
        });
        Scheduler.Schedule();
        t.Kill();
        Assert.False(t.Alive);
        Assert.Equal(1, finallies);
        u.Kill();
        Assert.False(u.Alive);
        Assert.Equal(2, finallies);
    });

    [Fact]
    public void A_kill_in_the_receive_after_a_connect_never_leaves_Run_hanging() => Isolated.Run(() =>
    {
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        server.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        server.Listen(16);
        var endPoint = server.LocalEndPoint!;
        var rounds = Rounds(150, 3_000);
        var finallies = 0;
        var inReceive = new Channel<bool>();
        for (var i = 0; i < rounds; i++)
        {
            var client = new CooperativeSocket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            var t = Tasklet.Spawn(async () =>
            {
                try
                {
                    using (client)
                    {
                        await client.ConnectAsync(endPoint);
                        await inReceive.SendAsync(true);
                        await client.ReceiveAsync(new byte[16]);
                    }
                }
                finally
                {
                    finallies++;
                }
            });
            inReceive.Receive();
            Scheduler.Schedule();
            Assert.True(t.BlockedOnIO, "in the receive");
            t.Kill();
            Assert.False(t.Alive);
            Scheduler.Run(); // returns: nothing is left waiting for I/O
            Assert.Equal(0, Scheduler.IoPendingCount);
            Assert.True(client.Inner.SafeHandle.IsClosed);
            server.Accept().Dispose();
        }

        Assert.Equal(rounds, finallies);
    });

    public enum Killer
    {
        Main,
        Soft,
        Hard,
        OtherThread,
    }

    [Theory]
    [InlineData(Killer.Main)]
    [InlineData(Killer.Soft)]
    [InlineData(Killer.Hard)]
    [InlineData(Killer.OtherThread)]
    public void A_tasklet_blocked_in_a_cooperative_receive_is_killed_by(Killer killer) => Isolated.Run(() =>
    {
        var (a, b) = Loopback.Pair();
        using var peer = b;
        using var worker = new SchedulerThread("killer");
        var log = new List<string>();
        var target = Tasklet.Spawn(async () =>
        {
            using var socket = new CooperativeSocket(a);
            try
            {
                await socket.ReceiveAsync(new byte[8]);
            }
            catch (TaskletExit)
            {
                log.Add("killed");
                throw;
            }
            finally
            {
                log.Add("finally");
            }
        });
        Scheduler.Schedule();
        Assert.True(target.BlockedOnIO);
        var seenByKiller = new List<bool>();
        switch (killer)
        {
            case Killer.Main:
                target.Kill();
                seenByKiller.Add(target.Alive);
                break;
            case Killer.Soft:
                Tasklet.Spawn(async () =>
                {
                    await target.KillAsync();
                    seenByKiller.Add(target.Alive);
                });
                break;
            case Killer.Hard:
                Tasklet.SpawnHard(() =>
                {
                    target.Kill();
                    seenByKiller.Add(target.Alive);
                });
                break;
            case Killer.OtherThread:
                // The target's own thread kills it; the caller goes on (Stackless's interthread rule).
                worker.InvokeAsync(() =>
                {
                    target.Kill();
                    return true;
                }).GetAwaiter().GetResult();
                break;
        }

        Scheduler.Run();
        Assert.False(target.Alive);
        Assert.Equal(["killed", "finally"], log);
        Assert.True(a.SafeHandle.IsClosed);
        if (killer != Killer.OtherThread)
        {
            Assert.Equal([false], seenByKiller); // the killer's call returned after the target died
        }

        worker.Join();
    });
}
