using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.ExceptionServices;
using Stackless.Emu;

namespace Stackless.Emu.Monkeypatch.InterceptorTests;

/// <summary>
/// Plain blocking BCL calls, compiled in a project with StacklessMonkeypatch=true: the generator redirects them, so a
/// hard tasklet calling them suspends only itself while the other tasklets keep running.
/// </summary>
public class InterceptionTests
{
    public InterceptionTests()
    {
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, 32), Math.Max(io, 32));
    }

    [Fact]
    public void Thread_Sleep_in_a_hard_tasklet_lets_other_tasklets_run() => OnFreshThread(() =>
    {
        // Counted in steps, not time: the hard tasklet sleeps "for ever" while a soft tasklet takes ten steps and then
        // kills it; the kill cancels the cooperative sleep, so the hard tasklet wakes only then.
        var steps = 0;
        var stepsWhenAwake = -1;
        Exception? woken = null;
        var sleeper = Tasklet.SpawnHard(() =>
        {
            try
            {
                Thread.Sleep(600_000); // intercepted: Redirect.Sleep (ten minutes: only the kill ends it)
            }
            catch (Exception ex)
            {
                woken = ex;
                throw;
            }
            finally
            {
                stepsWhenAwake = steps;
            }
        });
        Tasklet.Spawn(async () =>
        {
            for (var i = 0; i < 10; i++)
            {
                steps++;
                await Scheduler.ScheduleAsync();
            }

            await sleeper.KillAsync();
        });
        Scheduler.Run();
        Assert.IsType<TaskletExit>(woken);
        Assert.Equal(10, stepsWhenAwake);
        Assert.False(sleeper.Alive);
    });

    [Fact]
    public void Thread_Sleep_TimeSpan_without_tasklets_still_sleeps() => OnFreshThread(() =>
    {
        // Without tasklets the redirect calls the real Thread.Sleep: the thread blocks in it (no clock measured, the
        // thread's state shows it), and Thread.Interrupt ends it with ThreadInterruptedException.
        Exception? woken = null;
        var sleeper = new Thread(() =>
        {
            try
            {
                Thread.Sleep(TimeSpan.FromMinutes(10)); // intercepted
            }
            catch (ThreadInterruptedException ex)
            {
                woken = ex;
            }
        })
        { IsBackground = true };
        sleeper.Start();
        Assert.True(SpinWait.SpinUntil(() => (sleeper.ThreadState & System.Threading.ThreadState.WaitSleepJoin) != 0, HangGuard), "the thread did not sleep");
        sleeper.Interrupt();
        Assert.True(sleeper.Join(HangGuard));
        Assert.IsType<ThreadInterruptedException>(woken);
    });

    [Fact]
    public void NetworkStream_Read_and_Socket_Receive_suspend_only_the_hard_tasklet() => OnFreshThread(() =>
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var log = new List<string>();
        Socket? server = null;
        Tasklet.SpawnHard(() =>
        {
            server = listener.Accept(); // intercepted
            using var stream = new NetworkStream(server, ownsSocket: false);
            var buffer = new byte[4];
            var n = 0;
            while (n < 4)
            {
                n += stream.Read(buffer, n, 4 - n); // intercepted: NetworkStream.Read
            }

            log.Add("stream read " + System.Text.Encoding.ASCII.GetString(buffer));
            var more = new byte[3];
            var m = 0;
            while (m < 3)
            {
                m += server.Receive(more, m, 3 - m, SocketFlags.None); // intercepted
            }

            log.Add("socket received " + System.Text.Encoding.ASCII.GetString(more));
        });
        Tasklet.SpawnHard(() =>
        {
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            client.Connect(listener.LocalEndPoint!); // intercepted
            log.Add("connected");
            Thread.Sleep(30); // intercepted: the reader stays blocked, the soft tasklet runs
            client.Send("ping"u8.ToArray()); // intercepted
            Thread.Sleep(30);
            client.Send("abc"u8); // intercepted
        });
        var softSteps = 0;
        Tasklet.Spawn(async () =>
        {
            for (var i = 0; i < 5; i++)
            {
                softSteps++;
                await Task.Delay(5);
            }
        });
        Scheduler.Run();
        server?.Dispose();
        Assert.Equal(["connected", "stream read ping", "socket received abc"], log);
        Assert.Equal(5, softSteps);
    });

    [Fact]
    public void Process_WaitForExit_in_a_hard_tasklet_lets_other_tasklets_run() => OnFreshThread(() =>
    {
        // Counted in steps: the child runs until the soft tasklet, after its five steps, ends it.
        var steps = 0;
        var stepsAtExit = -1;
        using var process = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", "sleep 600"]) { UseShellExecute = false })!;
        Tasklet.SpawnHard(() =>
        {
            process.WaitForExit(); // intercepted
            stepsAtExit = steps;
        });
        Tasklet.Spawn(async () =>
        {
            for (var i = 0; i < 5; i++)
            {
                steps++;
                await Scheduler.ScheduleAsync();
            }

            process.Kill();
        });
        Scheduler.Run();
        Assert.Equal(5, stepsAtExit);
    });

    /// <summary>How long a test may wait for a thread before it reports a hang: a guard only, generous for a busy machine.</summary>
    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(10);

    private static void OnFreshThread(Action body)
    {
        ExceptionDispatchInfo? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                body();
            }
            catch (Exception ex)
            {
                error = ExceptionDispatchInfo.Capture(ex);
            }
        })
        { IsBackground = true };
        thread.Start();
        Assert.True(thread.Join(HangGuard), "the test body hung");
        error?.Throw();
    }
}
