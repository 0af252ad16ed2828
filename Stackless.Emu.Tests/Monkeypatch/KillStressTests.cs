using System.IO.Pipes;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Stackless.Emu.Monkeypatch;
using Stackless.Emu.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Stackless.Emu.Tests.Monkeypatch;

/// <summary>
/// Issue 12 item 6: kills at random points (seeded) of connect, send, receive and accept on loopback sockets, and of
/// file and pipe I/O, by killers that are main, a soft tasklet, a hard tasklet and a tasklet of another thread. The
/// run must end (no hang: the Isolated guard), every victim that entered its <c>try</c> must have run its
/// <c>finally</c>, and no descriptor it opened may be left open. Light by default; STACKLESS_FULL_STRESS=1 makes 10,000 kills.
/// </summary>
[Collection(SequentialCollection.Name)]
public class KillStressTests(ITestOutputHelper output)
{
    private const int KillsPerChunk = 250;

    private static bool Full => Environment.GetEnvironmentVariable("STACKLESS_FULL_STRESS") == "1";

    private enum Victim
    {
        Client,
        SyncSendClient,
        HardClient,
        Acceptor,
        File,
        Pipe,
    }

    private enum Killer
    {
        Main,
        Soft,
        Hard,
        OtherThread,
    }

    [Fact]
    public void Random_kills_in_socket_file_and_pipe_IO_end_with_every_finally_run_and_no_descriptor_left()
    {
        var kills = Full ? 10_000 : 2 * KillsPerChunk;
        var directory = Directory.CreateTempSubdirectory("stackless-kills-");
        try
        {
            // Warm up what the runtime opens once (socket engine, pool threads, pipes) before counting descriptors.
            Isolated.Run(() => RunChunk(new Random(0), 20, directory.FullName, new Totals(), new Descriptors()));
            var before = Descriptors.Count();
            var totals = new Totals();
            var opened = new Descriptors();
            var watch = System.Diagnostics.Stopwatch.StartNew();
            for (var chunk = 0; totals.Kills < kills; chunk++)
            {
                var seed = 1_000 + chunk;
                var target = Math.Min(KillsPerChunk, kills - totals.Kills);
                Isolated.Run(() => RunChunk(new Random(seed), target, directory.FullName, totals, opened));
            }

            var (left, after) = opened.Settle(before);
            output.WriteLine(
                $"{totals.Kills} kills ({string.Join(", ", totals.ByKiller.Select(p => $"{p.Key} {p.Value}"))}); victims " +
                $"{string.Join(", ", totals.ByVictim.Select(p => $"{p.Key} {p.Value}"))}; entered {totals.Entered}, finally {totals.Finallies}, " +
                $"ended before the kill {totals.EndedFirst}; descriptors {before} before, {after} after, {opened.Recorded} recorded; {watch.Elapsed}");
            Assert.True(totals.Kills >= kills);
            Assert.Equal(totals.Entered, totals.Finallies);
            Assert.Empty(left);
            Assert.True(after <= before + Descriptors.Slack, $"descriptors: {before} before, {after} after");
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    /// <summary>What the chunks counted (victims and killers run on the chunk's scheduler thread, hard tasklets included, one at a time).</summary>
    private sealed class Totals
    {
        private int _entered;
        private int _finallies;

        public int Kills { get; set; }

        public int EndedFirst { get; set; }

        public int Entered => _entered;

        public int Finallies => _finallies;

        public SortedDictionary<Killer, int> ByKiller { get; } = [];

        public SortedDictionary<Victim, int> ByVictim { get; } = [];

        public void Enter() => Interlocked.Increment(ref _entered);

        public void Finally() => Interlocked.Increment(ref _finallies);
    }

    private static void RunChunk(Random random, int kills, string directory, Totals totals, Descriptors opened)
    {
        using var echoListener = opened.Add(new CooperativeSocket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        echoListener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        echoListener.Listen(1024);
        using var acceptListener = opened.Add(new CooperativeSocket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        acceptListener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        acceptListener.Listen(1024);
        var echo = echoListener.LocalEndPoint!;
        var connectors = new List<Socket>();
        using var worker = new SchedulerThread("stress killer");
        var server = Tasklet.Spawn(() => ServeEchoAsync(echoListener, opened));
        var killed = 0;
        var file = 0;
        var pending = new List<Task>();
        while (killed < kills)
        {
            var batch = new List<VictimRun>();
            for (var i = random.Next(1, 7); i > 0; i--)
            {
                var kind = (Victim)random.Next(6);
                totals.ByVictim[kind] = totals.ByVictim.GetValueOrDefault(kind) + 1;
                var path = Path.Combine(directory, $"f{file++ % 16}");
                batch.Add(Spawn(kind, echo, acceptListener, path, totals, opened));
                if (kind == Victim.Acceptor && random.Next(2) == 0)
                {
                    var connector = opened.Add(new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
                    connector.Connect(acceptListener.LocalEndPoint!); // completes through the backlog
                    connectors.Add(connector);
                }
            }

            // A random point: some scheduling rounds, sometimes a short cooperative wait for I/O to progress.
            for (var steps = random.Next(0, 8); steps > 0; steps--)
            {
                if (random.Next(4) == 0)
                {
                    Scheduler.Sleep(TimeSpan.FromMilliseconds(random.Next(0, 2)));
                }
                else
                {
                    Scheduler.Schedule();
                }
            }

            foreach (var run in batch.OrderBy(_ => random.Next()))
            {
                var victim = run.Tasklet;
                if (!victim.Alive)
                {
                    totals.EndedFirst++;
                    continue;
                }

                var killer = (Killer)random.Next(4);
                totals.ByKiller[killer] = totals.ByKiller.GetValueOrDefault(killer) + 1;
                killed++;
                totals.Kills++;
                switch (killer)
                {
                    case Killer.Main:
                        victim.Kill();
                        run.AssertKillReturnedInTime(killer);
                        break;
                    case Killer.Soft:
                        Tasklet.Spawn(async () =>
                        {
                            await victim.KillAsync();
                            run.AssertKillReturnedInTime(killer);
                        });
                        break;
                    case Killer.Hard:
                        Tasklet.SpawnHard(() =>
                        {
                            victim.Kill();
                            run.AssertKillReturnedInTime(killer);
                        });
                        break;
                    case Killer.OtherThread:
                        pending.Add(worker.InvokeAsync(() =>
                        {
                            victim.Kill();
                            return true;
                        }));
                        break;
                }
            }

            WaitUntil(() => batch.TrueForAll(v => !v.Tasklet.Alive) && pending.TrueForAll(t => t.IsCompleted), "the batch to die");
        }

        // Every victim closed its connection: the echo handlers see the end and finish; then the server is killed.
        WaitUntil(() => Scheduler.AliveTasklets().Count(t => !t.IsMain) == 1, "the echo handlers to finish");
        server.Kill();
        Assert.False(server.Alive);
        foreach (var task in pending)
        {
            task.GetAwaiter().GetResult(); // a kill from the other thread raised nothing
        }

        foreach (var connector in connectors)
        {
            connector.Dispose();
        }

        worker.Join();
    }

    /// <summary>Lets the scheduler run (main waits cooperatively) until <paramref name="condition"/> holds; counts rounds, not time.</summary>
    private static void WaitUntil(Func<bool> condition, string what)
    {
        for (var round = 0; !condition(); round++)
        {
            Assert.True(round < 200_000, $"waiting for {what}: {Scheduler.Describe()}");
            if (round % 8 == 7)
            {
                Scheduler.Sleep(TimeSpan.FromMilliseconds(1));
            }
            else
            {
                Scheduler.Schedule();
            }
        }
    }

    /// <summary>One victim: its tasklet and how far it got.</summary>
    private sealed class VictimRun(Victim kind)
    {
        private volatile bool _inFinally;

        public Victim Kind => kind;

        public Tasklet Tasklet { get; set; } = null!;

        public void EnterFinally() => _inFinally = true;

        /// <summary>
        /// A kill returns once the victim has died or suspended again (Stackless): a victim whose <c>finally</c> awaits
        /// (an asynchronous dispose) may still be alive, but only inside its <c>finally</c>.
        /// </summary>
        public void AssertKillReturnedInTime(Killer killer) =>
            Assert.True(
                !Tasklet.Alive || _inFinally,
                $"{killer}'s kill returned while the {kind} victim was alive outside its finally: {Tasklet}, blocked on I/O {Tasklet.BlockedOnIO}");
    }

    private static VictimRun Spawn(Victim kind, EndPoint echo, CooperativeSocket acceptListener, string path, Totals totals, Descriptors opened)
    {
        var run = new VictimRun(kind);
        run.Tasklet = SpawnTasklet(run, echo, acceptListener, path, totals, opened);
        return run;
    }

    private static Tasklet SpawnTasklet(VictimRun run, EndPoint echo, CooperativeSocket acceptListener, string path, Totals totals, Descriptors opened)
    {
        var kind = run.Kind;
        if (kind == Victim.HardClient)
        {
            return Tasklet.SpawnHard(() =>
            {
                totals.Enter();
                try
                {
                    using var client = opened.Add(new CooperativeSocket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
                    client.Connect(echo);
                    client.Send("ping"u8);
                    var buffer = new byte[16];
                    client.Receive(buffer);
                    client.Receive(buffer); // the server sends nothing more: waits until killed
                }
                finally
                {
                    run.EnterFinally();
                    totals.Finally();
                }
            });
        }

        return Tasklet.Spawn(async () =>
        {
            totals.Enter();
            try
            {
                await RunVictimAsync(kind, echo, acceptListener, path, opened, run);
            }
            finally
            {
                totals.Finally();
            }
        });
    }

    /// <summary>The victim's I/O; <paramref name="run"/> learns when the body is leaving (its <c>using</c> disposals run after).</summary>
    private static async Task RunVictimAsync(Victim kind, EndPoint echo, CooperativeSocket acceptListener, string path, Descriptors opened, VictimRun run)
    {
        try
        {
            await RunVictimIoAsync(kind, echo, acceptListener, path, opened, run);
        }
        finally
        {
            run.EnterFinally();
        }
    }

    private static async Task RunVictimIoAsync(Victim kind, EndPoint echo, CooperativeSocket acceptListener, string path, Descriptors opened, VictimRun run)
    {
        var buffer = new byte[64 << 10];
        switch (kind)
        {
            case Victim.Client or Victim.SyncSendClient:
                {
                    using var client = opened.Add(new CooperativeSocket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
                    await client.ConnectAsync(echo);
                    if (kind == Victim.SyncSendClient)
                    {
                        client.Send(buffer); // 64 KiB: what the send buffer does not take is left in flight
                    }
                    else
                    {
                        await client.SendAsync(buffer);
                    }

                    var received = 0;
                    int n;
                    while (received < buffer.Length && (n = await client.ReceiveAsync(buffer)) > 0)
                    {
                        received += n;
                    }

                    await client.ReceiveAsync(buffer); // nothing more comes: waits until killed
                    break;
                }

            case Victim.Acceptor:
                {
                    using var accepted = await acceptListener.AcceptAsync();
                    opened.Add(accepted);
                    await accepted.ReceiveAsync(buffer); // the connector sends nothing
                    break;
                }

            case Victim.File:
                {
                    var stream = CooperativeFile.Open(path, FileMode.Create, FileAccess.ReadWrite, FileShare.ReadWrite);
                    opened.AddFile(path);
                    try
                    {
                        for (var i = 0; i < 4; i++)
                        {
                            await stream.WriteAsync(buffer.AsMemory(0, 8 << 10));
                            await stream.FlushAsync();
                            stream.Position = 0;
                            _ = await stream.ReadAsync(buffer.AsMemory(0, 8 << 10));
                        }
                    }
                    finally
                    {
                        run.EnterFinally(); // the asynchronous dispose below may suspend the killed victim again
                        await stream.DisposeAsync();
                    }

                    break;
                }

            case Victim.Pipe:
                {
                    var server = new AnonymousPipeServerStream(PipeDirection.Out);
                    var client = new AnonymousPipeClientStream(PipeDirection.In, server.ClientSafePipeHandle);
                    opened.Add(server.SafePipeHandle);
                    opened.Add(client.SafePipeHandle);
                    var output = new CooperativeStream(server);
                    var input = new CooperativeStream(client);
                    try
                    {
                        await output.WriteAsync(buffer.AsMemory(0, 1024));
                        await input.ReadExactlyAsync(buffer.AsMemory(0, 1024));
                        _ = await input.ReadAsync(buffer); // nothing more comes: waits until killed
                    }
                    finally
                    {
                        run.EnterFinally();
                        await output.DisposeAsync();
                        await input.DisposeAsync();
                    }

                    break;
                }
        }
    }

    /// <summary>Accepts connections and echoes each one's bytes until its client closes it.</summary>
    private static async Task ServeEchoAsync(CooperativeSocket listener, Descriptors opened)
    {
        while (true)
        {
            var connection = opened.Add(await listener.AcceptAsync());
            Tasklet.Spawn(async () =>
            {
                using (connection)
                {
                    var buffer = new byte[16 << 10];
                    try
                    {
                        int n;
                        while ((n = await connection.ReceiveAsync(buffer)) > 0)
                        {
                            await connection.SendAsync(buffer.AsMemory(0, n));
                        }
                    }
                    catch (SocketException)
                    {
                        // The killed client closed with bytes unread: a reset.
                    }
                }
            });
        }
    }

    /// <summary>
    /// The descriptors the test opened, by what /proc/self/fd shows for them (socket:[inode], pipe:[inode], a path):
    /// inodes are not reused soon, so a recorded one still open is a leak whatever else the process does meanwhile.
    /// </summary>
    private sealed class Descriptors
    {
        /// <summary>Descriptors the runtime may open or keep by itself between two counts (pool threads, timers).</summary>
        public const int Slack = 8;

        private readonly HashSet<string> _links = [];

        public int Recorded
        {
            get
            {
                lock (_links)
                {
                    return _links.Count;
                }
            }
        }

        public static int Count() => Directory.GetFiles("/proc/self/fd").Length;

        public T Add<T>(T owner)
            where T : class
        {
            var handle = owner switch
            {
                CooperativeSocket socket => socket.Inner.SafeHandle.DangerousGetHandle(),
                Socket socket => socket.SafeHandle.DangerousGetHandle(),
                SafeHandle safe => safe.DangerousGetHandle(),
                _ => throw new ArgumentException("not a descriptor owner", nameof(owner)),
            };
            if (new FileInfo($"/proc/self/fd/{handle}").LinkTarget is { } link)
            {
                lock (_links)
                {
                    _links.Add(link);
                }
            }

            return owner;
        }

        public void AddFile(string path)
        {
            lock (_links)
            {
                _links.Add(path);
            }
        }

        /// <summary>
        /// Retries (collecting garbage, letting deferred closes finish) until no recorded descriptor is open and the
        /// count is back near <paramref name="before"/>, or the retries run out; returns what is left and the count.
        /// </summary>
        public (List<string> Left, int Count) Settle(int before)
        {
            List<string> left = [];
            var count = 0;
            for (var attempt = 0; attempt < 4_000; attempt++) // a guard: up to 100 s on a busy machine
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                left = Open();
                count = Count();
                if (left.Count == 0 && count <= before + Slack)
                {
                    break;
                }

                Thread.Sleep(25);
            }

            return (left, count);
        }

        private List<string> Open()
        {
            var open = new List<string>();
            foreach (var fd in Directory.GetFiles("/proc/self/fd"))
            {
                try
                {
                    if (new FileInfo(fd).LinkTarget is { } link && Contains(link))
                    {
                        open.Add(link);
                    }
                }
                catch (IOException)
                {
                    // Closed while listing.
                }
            }

            return open;
        }

        private bool Contains(string link)
        {
            lock (_links)
            {
                return _links.Contains(link);
            }
        }
    }
}
