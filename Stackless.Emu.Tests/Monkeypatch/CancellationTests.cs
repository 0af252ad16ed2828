using System.Net.Sockets;
using Stackless.Emu.Monkeypatch;
using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Monkeypatch;

public class CancellationTests
{
    [Fact]
    public void Cooperative_Kill_interrupts_a_hard_tasklet_blocked_in_a_read_and_its_finally_runs() => Isolated.Run(() =>
    {
        var (a, b) = Loopback.Pair();
        using var peer = b;
        var stream = new CooperativeStream(new NetworkStream(a, ownsSocket: true));
        var log = new List<string>();
        var reader = Tasklet.SpawnHard(() =>
        {
            try
            {
                log.Add("reading");
                var n = stream.Read(new byte[8], 0, 8);
                log.Add("read " + n);
            }
            finally
            {
                stream.Dispose();
                log.Add("finally");
            }
        });
        Scheduler.Schedule();
        Assert.True(reader.BlockedOnIO);
        Assert.False(Cooperative.CancelIo(Tasklet.Current));
        Cooperative.Kill(reader);
        Scheduler.Run();
        Assert.False(reader.Alive);
        Assert.Equal(["reading", "finally"], log);
        Assert.True(a.SafeHandle.IsClosed, "the socket handle was released");
    });

    [Fact]
    public void Cooperative_Kill_interrupts_a_soft_tasklet_awaiting_a_read() => Isolated.Run(() =>
    {
        var (a, b) = Loopback.Pair();
        using var peer = b;
        var log = new List<string>();
        var reader = Tasklet.Spawn(async () =>
        {
            await using var stream = new CooperativeStream(new NetworkStream(a, ownsSocket: true));
            try
            {
                var n = await stream.ReadAsync(new byte[8]);
                log.Add("read " + n);
            }
            finally
            {
                log.Add("finally");
            }
        });
        Scheduler.Schedule();
        Assert.True(reader.BlockedOnIO);
        Cooperative.Kill(reader);
        Scheduler.Run(); // would raise here if the cancellation escaped as an error
        Assert.False(reader.Alive);
        Assert.Equal(["finally"], log);
        Assert.True(a.SafeHandle.IsClosed);
    });

    [Fact]
    public void Cooperative_Kill_interrupts_a_sleep() => Isolated.Run(() =>
    {
        var finished = false;
        var sleeper = Tasklet.SpawnHard(() =>
        {
            try
            {
                Cooperative.Sleep(TimeSpan.FromMinutes(5));
            }
            finally
            {
                finished = true;
            }
        });
        Scheduler.Schedule();
        Cooperative.Kill(sleeper);
        Scheduler.Run();
        Assert.True(finished);
        Assert.False(sleeper.Alive);
    });

    [Fact]
    public void CancelIo_raises_OperationCanceledException_in_the_reader_which_can_read_again() => Isolated.Run(() =>
    {
        var (a, b) = Loopback.Pair();
        using var stream = new CooperativeStream(new NetworkStream(a, ownsSocket: true));
        using var peer = new NetworkStream(b, ownsSocket: true);
        Exception? first = null;
        var second = 0;
        var reader = Tasklet.SpawnHard(() =>
        {
            try
            {
                second = stream.Read(new byte[8], 0, 8);
            }
            catch (OperationCanceledException ex)
            {
                first = ex;
            }

            second = stream.Read(new byte[8], 0, 8);
        });
        Scheduler.Schedule();
        Assert.True(Cooperative.CancelIo(reader));
        peer.Write([1, 2, 3]);
        Scheduler.Run();
        Assert.IsAssignableFrom<OperationCanceledException>(first);
        Assert.Equal(3, second);
    });

    // Plain Tasklet.Kill / Tasklet.Throw: the core cancels the tasklet's CancellationToken, which every cooperative
    // operation carries, so the operation ends at once and the tasklet's finally runs and releases the handle.

    /// <summary>How long a wait for another thread may take before the test reports a hang (the suite's one guard).</summary>
    private static readonly TimeSpan Prompt = Isolated.Timeout;

    [Fact]
    public void Plain_Kill_interrupts_a_hard_tasklet_blocked_in_a_cooperative_read_and_its_finally_releases_the_socket() => Isolated.Run(() =>
    {
        var (a, b) = Loopback.Pair();
        using var peer = b;
        var log = new List<string>();
        var reader = Tasklet.SpawnHard(() =>
        {
            using var stream = new CooperativeStream(new NetworkStream(a, ownsSocket: true));
            try
            {
                var n = stream.Read(new byte[8], 0, 8);
                log.Add("read " + n);
            }
            finally
            {
                log.Add("finally");
            }
        });
        Scheduler.Schedule();
        Assert.True(reader.BlockedOnIO);
        reader.Kill();
        Scheduler.Run();
        Assert.False(reader.Alive);
        Assert.Equal(["finally"], log);
        Assert.True(a.SafeHandle.IsClosed, "the socket handle was released");

        // The peer sees the close: nothing is left half-open.
        Assert.Equal(0, b.Receive(new byte[8]));
    });

    [Fact]
    public void Plain_Kill_interrupts_a_soft_tasklet_awaiting_a_cooperative_receive_without_an_error_reaching_main() => Isolated.Run(() =>
    {
        var (a, b) = Loopback.Pair();
        using var peer = b;
        var log = new List<string>();
        var reader = Tasklet.Spawn(async () =>
        {
            using var socket = new CooperativeSocket(a);
            try
            {
                var n = await socket.ReceiveAsync(new byte[8]);
                log.Add("read " + n);
            }
            catch (OperationCanceledException)
            {
                log.Add("saw the cancellation instead of the kill");
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
        Scheduler.Run(); // would raise here if anything but TaskletExit ended the tasklet
        Assert.False(reader.Alive);
        Assert.Equal(["finally"], log);
        Assert.True(a.SafeHandle.IsClosed);
    });

    [Fact]
    public void Kill_from_another_thread_interrupts_a_soft_tasklet_blocked_in_a_cooperative_receive() => Isolated.Run(() =>
    {
        var (a, b) = Loopback.Pair();
        using var peer = b;
        using var worker = new SchedulerThread("reader");
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var reader = worker.SpawnAsync(async () =>
        {
            using var socket = new CooperativeSocket(a);
            try
            {
                await socket.ReceiveAsync(new byte[8]);
                log.Enqueue("read");
            }
            finally
            {
                log.Enqueue("finally on " + Tasklet.Current.ThreadId);
            }
        }).GetAwaiter().GetResult();
        Assert.True(SpinWait.SpinUntil(() => reader.BlockedOnIO, Prompt));
        reader.Kill(); // handled by the worker's scheduler, which cancels the reader's token there
        Assert.True(SpinWait.SpinUntil(() => !reader.Alive, Prompt), "the remote kill interrupted the receive");
        Assert.Equal(["finally on " + worker.ThreadId], log);
        Assert.True(a.SafeHandle.IsClosed);
        worker.Join();
    });

    [Fact]
    public void Plain_Kill_interrupts_a_hard_tasklet_blocked_in_accept_and_its_finally_closes_the_listener() => Isolated.Run(() =>
    {
        var listener = new CooperativeTcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = listener.Port;
        var finished = false;
        var acceptor = Tasklet.SpawnHard(() =>
        {
            try
            {
                using var client = listener.AcceptTcpClient();
            }
            finally
            {
                listener.Dispose();
                finished = true;
            }
        });
        Scheduler.Schedule();
        Assert.True(acceptor.BlockedOnIO);
        acceptor.Kill();
        Scheduler.Run();
        Assert.True(finished);
        Assert.False(acceptor.Alive);

        // The listening socket is closed: nobody accepts on that port any more.
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        Assert.Throws<SocketException>(() => probe.Connect(System.Net.IPAddress.Loopback, port));
    });

    [Fact]
    public void Plain_Kill_interrupts_a_soft_tasklet_in_AcceptSocketAsync() => Isolated.Run(() =>
    {
        using var listener = new CooperativeTcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var log = new List<string>();
        var acceptor = Tasklet.Spawn(async () =>
        {
            try
            {
                using var socket = await listener.AcceptSocketAsync();
                log.Add("accepted");
            }
            finally
            {
                log.Add("finally");
            }
        });
        Scheduler.Schedule();
        Assert.True(acceptor.BlockedOnIO);
        acceptor.Kill();
        Scheduler.Run();
        Assert.False(acceptor.Alive);
        Assert.Equal(["finally"], log);
    });

    [Fact]
    public void Plain_Kill_interrupts_Sleep_in_a_hard_tasklet_and_SleepAsync_in_a_soft_one() => Isolated.Run(() =>
    {
        var log = new List<string>();
        var hard = Tasklet.SpawnHard(() =>
        {
            try
            {
                Cooperative.Sleep(TimeSpan.FromMinutes(5));
                log.Add("hard woke");
            }
            finally
            {
                log.Add("hard finally");
            }
        });
        var soft = Tasklet.Spawn(async () =>
        {
            try
            {
                await Cooperative.SleepAsync(TimeSpan.FromMinutes(5));
                log.Add("soft woke");
            }
            finally
            {
                log.Add("soft finally");
            }
        });
        Scheduler.Schedule();
        Assert.True(hard.BlockedOnIO && soft.BlockedOnIO);
        hard.Kill();
        soft.Kill();
        Scheduler.Run();
        Assert.False(hard.Alive || soft.Alive);
        Assert.Equal(["hard finally", "soft finally"], log.Order());
    });

    [Fact]
    public void Plain_Kill_interrupts_WaitForExit_and_the_finally_kills_the_child_process() => Isolated.Run(() =>
    {
        var child = CooperativeProcess.Start("/bin/sh", "-c", "exec sleep 60");
        var finished = false;
        var waiter = Tasklet.SpawnHard(() =>
        {
            try
            {
                child.WaitForExit();
            }
            finally
            {
                child.Kill();
                child.WaitForExit(); // cooperative I/O in the finally of a killed tasklet works (fresh token)
                finished = true;
            }
        });
        Scheduler.Schedule();
        Assert.True(waiter.BlockedOnIO);
        waiter.Kill();
        Scheduler.Run();
        Assert.True(finished);
        Assert.True(child.HasExited);
        Assert.NotEqual(0, child.ExitCode);
        child.Dispose();
    });

    [Fact]
    public void Plain_Kill_interrupts_a_soft_tasklet_in_WaitForExitAsync() => Isolated.Run(() =>
    {
        using var child = CooperativeProcess.Start("/bin/sh", "-c", "exec sleep 60");
        var finished = false;
        var waiter = Tasklet.Spawn(async () =>
        {
            try
            {
                await child.WaitForExitAsync();
            }
            finally
            {
                child.Kill();
                await child.WaitForExitAsync();
                finished = true;
            }
        });
        Scheduler.Schedule();
        waiter.Kill();
        Scheduler.Run();
        Assert.True(finished);
        Assert.True(child.HasExited);
    });

    [Fact]
    public void Throw_into_a_tasklet_blocked_in_a_read_raises_that_exception_and_the_tasklet_can_read_again() => Isolated.Run(() =>
    {
        var (a, b) = Loopback.Pair();
        using var stream = new CooperativeStream(new NetworkStream(a, ownsSocket: true));
        using var peer = new NetworkStream(b, ownsSocket: true);
        var handled = new Channel<Exception>();
        var second = 0;
        var reader = Tasklet.SpawnHard(() =>
        {
            try
            {
                stream.ReadExactly(new byte[8], 0, 8);
            }
            catch (TimeoutException ex)
            {
                handled.Send(ex);
            }

            second = stream.Read(new byte[8], 0, 8); // a fresh token: this read is not cancelled
        });
        Scheduler.Schedule();
        Assert.True(reader.BlockedOnIO);
        var thrown = new TimeoutException("no data");
        reader.Throw(thrown);
        Assert.Same(thrown, handled.Receive());
        peer.Write([1, 2, 3]);
        Scheduler.Run();
        Assert.Equal(3, second);
        Assert.False(reader.Alive);
    });

    [Fact]
    public void The_token_is_created_on_first_request_only() => Isolated.Run(() =>
    {
        static CancellationTokenSource? Source(Tasklet t) => t.ColdIfAny?.Cancellation;
        var quiet = Tasklet.Spawn(async () => await Scheduler.ScheduleAsync());
        var asking = Tasklet.Spawn(async () =>
        {
            _ = Tasklet.Current.CancellationToken;
            await Scheduler.ScheduleAsync();
        });
        Scheduler.Schedule();
        Assert.Null(Source(quiet));
        Assert.NotNull(Source(asking));
        quiet.Kill();
        Assert.Null(Source(quiet));
        Scheduler.Run();
    });

    [Fact]
    public void A_kill_in_any_state_cancels_the_token_and_the_finally_gets_a_fresh_one() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        CancellationToken before = default;
        CancellationToken inFinally = default;
        var waiter = Tasklet.Spawn(async () =>
        {
            before = Tasklet.Current.CancellationToken;
            try
            {
                await channel.ReceiveAsync();
            }
            finally
            {
                inFinally = Tasklet.Current.CancellationToken;
            }
        });
        Scheduler.Schedule();
        Assert.True(waiter.Blocked && !waiter.BlockedOnIO);
        Assert.False(before.IsCancellationRequested);
        waiter.Kill();
        Assert.False(waiter.Alive);
        Assert.True(before.IsCancellationRequested);
        Assert.True(inFinally.CanBeCanceled);
        Assert.False(inFinally.IsCancellationRequested);
    });

    [Fact]
    public void A_throw_outside_IO_leaves_the_token_alone() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        CancellationToken token = default;
        var waiter = Tasklet.Spawn(async () =>
        {
            token = Tasklet.Current.CancellationToken;
            try
            {
                await channel.ReceiveAsync();
            }
            catch (InvalidCastException)
            {
            }
        });
        Scheduler.Schedule();
        waiter.Throw(new InvalidCastException());
        Assert.False(waiter.Alive);
        Assert.False(token.IsCancellationRequested);
    });

    [Fact]
    public void Blocked_on_IO_the_token_is_cancelled_before_Kill_returns() => Isolated.Run(() =>
    {
        var ranInsideKill = false;
        var sleeper = Tasklet.SpawnHard(() =>
        {
            Tasklet.Current.CancellationToken.Register(() => ranInsideKill = true);
            Cooperative.Sleep(TimeSpan.FromMinutes(5));
        });
        Scheduler.Schedule();
        Assert.True(sleeper.BlockedOnIO);
        sleeper.Kill();
        Assert.True(ranInsideKill, "the operation is stopped synchronously, so no data can complete it afterwards");
        Scheduler.Run();
        Assert.False(sleeper.Alive);
    });

    [Fact]
    public void Outside_IO_token_callbacks_run_on_the_thread_pool_not_inside_Kill() => Isolated.Run(() =>
    {
        using var ran = new ManualResetEventSlim();
        var callbackOnPool = false;
        var channel = new Channel<int>();
        var waiter = Tasklet.Spawn(async () =>
        {
            Tasklet.Current.CancellationToken.Register(() =>
            {
                callbackOnPool = Thread.CurrentThread.IsThreadPoolThread;
                ran.Set();
            });
            await channel.ReceiveAsync();
        });
        Scheduler.Schedule();
        waiter.Kill();
        Assert.False(waiter.Alive);
        Assert.True(ran.Wait(Prompt));
        Assert.True(callbackOnPool, "the callback ran on a thread-pool thread");
    });

    [Fact]
    public void User_code_passing_the_token_is_interrupted_too() => Isolated.Run(() =>
    {
        var log = new List<string>();
        var hard = Tasklet.SpawnHard(() =>
        {
            try
            {
                Scheduler.WaitFor(Task.Delay(Timeout.Infinite, Tasklet.Current.CancellationToken));
            }
            catch (TaskletExit)
            {
                log.Add("hard: TaskletExit");
                throw;
            }
        });
        var soft = Tasklet.Spawn(async () =>
        {
            try
            {
                await Task.Delay(Timeout.Infinite, Tasklet.Current.CancellationToken);
            }
            catch (OperationCanceledException)
            {
                log.Add("soft: cancelled");
                Tasklet.ThrowIfInterrupted();
                throw;
            }
            catch (TaskletExit)
            {
                log.Add("unreachable");
            }
        });
        Scheduler.Schedule();
        hard.Kill();
        soft.Kill();
        Scheduler.Run(); // the soft tasklet ends with TaskletExit raised by ThrowIfInterrupted, not the cancellation
        Assert.False(hard.Alive || soft.Alive);
        Assert.Equal(["hard: TaskletExit", "soft: cancelled"], log.Order());
    });
}
