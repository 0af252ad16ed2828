namespace Stackless.Emu;

/// <summary>
/// The OS threads hard tasklets run on. A thread whose tasklet has finished parks and is reused by the next hard
/// tasklet with the same stack size, so starting and finishing many hard tasklets does not grow the thread count;
/// a parked thread ends after <see cref="IdleTimeout"/>.
/// </summary>
internal static class HardTaskletThreads
{
    private static readonly object s_lock = new();
    private static readonly Stack<Worker> s_idle = new();

    /// <summary>How long a parked thread waits for a new hard tasklet before it ends (<see cref="StacklessSettings.HardTaskletIdleTimeout"/>).</summary>
    public static TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The stack size of threads started from now on; 0 means the runtime's default (<see cref="StacklessSettings.HardTaskletStackSize"/>).</summary>
    public static int StackSize { get; set; }

    /// <summary>Runs <paramref name="tasklet"/>'s thread body on a parked thread, or on a new one.</summary>
    public static void Start(Tasklet tasklet)
    {
        var stackSize = StackSize;
        lock (s_lock)
        {
            while (s_idle.TryPop(out var idle))
            {
                if (idle.StackSize == stackSize && idle.TryAssign(tasklet))
                {
                    return;
                }
            }
        }

        var worker = new Worker(stackSize);
        worker.TryAssign(tasklet);
        worker.Start();
    }

    private sealed class Worker
    {
        private readonly object _gate = new();
        private readonly Thread _thread;
        private Tasklet? _assigned;
        private bool _retired;

        public Worker(int stackSize)
        {
            StackSize = stackSize;
            _thread = new Thread(Loop, stackSize) { IsBackground = true, Name = "Stackless hard tasklet" };
        }

        public int StackSize { get; }

        public void Start() => _thread.Start();

        /// <summary>Gives this worker its next tasklet; false if it has retired meanwhile.</summary>
        public bool TryAssign(Tasklet tasklet)
        {
            lock (_gate)
            {
                if (_retired)
                {
                    return false;
                }

                _assigned = tasklet;
                Monitor.Pulse(_gate);
                return true;
            }
        }

        private void Loop()
        {
            while (true)
            {
                Tasklet? tasklet;
                lock (_gate)
                {
                    if (_assigned is null && !Monitor.Wait(_gate, IdleTimeout) && _assigned is null)
                    {
                        _retired = true;
                        return;
                    }

                    tasklet = _assigned;
                    _assigned = null;
                }

                tasklet!.Scheduler.RunHardTasklet(tasklet);
                lock (s_lock)
                {
                    s_idle.Push(this);
                }
            }
        }
    }
}
