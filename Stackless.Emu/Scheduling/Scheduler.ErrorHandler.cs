namespace Stackless.Emu;

public static partial class Scheduler
{
    /// <summary>
    /// The handler of exceptions that escape tasklets (Stackless's <c>set_error_handler</c>), for the whole process; null
    /// (the default) raises such an exception in the main tasklet (from <see cref="Run()"/> or the operation main is
    /// blocked in). The handler runs on the tasklet's thread as the tasklet ends, with <see cref="Tasklet.Current"/> the
    /// ending tasklet; its return value is ignored. If it throws, its exception is raised in main instead.
    /// <see cref="TaskletExit"/> never reaches it. Stackless's <c>set_error_handler(h)</c> returns the previous handler:
    /// read the property first.
    /// </summary>
    /// <remarks>Thread safety: process-wide (one handler for the schedulers of every thread), set and read from any thread; it runs on the thread of the tasklet that ends.</remarks>
    public static Action<Exception>? ErrorHandler
    {
        get => ThreadScheduler.ErrorHandler;
        set => ThreadScheduler.ErrorHandler = value;
    }
}
