using System.Globalization;
using System.Text;

namespace Stackless.Emu;

public static partial class Scheduler
{
    /// <summary>
    /// The managed ids of the alive threads that have a scheduler, the oldest first (Stackless's <c>stackless.threads</c>;
    /// Stackless lists the interpreter's main thread first, here the first thread that used the API comes first).
    /// </summary>
    /// <remarks>Thread safety: any thread; another thread's state is a snapshot, which may change at once.</remarks>
    public static IReadOnlyList<int> Threads => Array.ConvertAll(SchedulerRegistry.Snapshot(), s => s.ThreadId);

    /// <summary>
    /// The main tasklet, running tasklet and run count of the scheduler of thread <paramref name="threadId"/>
    /// (Stackless's <c>get_thread_info</c>); 0 means the calling thread.
    /// </summary>
    /// <exception cref="ArgumentException">No alive thread with a scheduler has this id.</exception>
    /// <remarks>Thread safety: any thread; another thread's state is a snapshot, which may change at once.</remarks>
    public static ThreadInfo GetThreadInfo(int threadId = 0)
    {
        var scheduler = threadId == 0 ? ThreadScheduler.Current : SchedulerRegistry.Find(threadId)
            ?? throw new ArgumentException(
                $"Unknown thread id {threadId}: no alive thread with a scheduler has it. Scheduler.Threads lists the ones that do.",
                nameof(threadId));
        return new ThreadInfo(scheduler.MainTasklet, scheduler.Executing, scheduler.RunCount);
    }

    /// <summary>
    /// A report of every thread's scheduler and its tasklets, for diagnosing a wait that never ends (for example a
    /// deadlock between threads that no single thread can see). Other threads' states are read without stopping them.
    /// </summary>
    /// <remarks>Thread safety: any thread; another thread's state is a snapshot, which may change at once.</remarks>
    public static string DescribeAllThreads()
    {
        var text = new StringBuilder();
        foreach (var scheduler in SchedulerRegistry.Snapshot())
        {
            var state = scheduler.Idle ? "idle" : scheduler.ThreadBlocked ? "waiting for other threads" : "live";
            text.Append(CultureInfo.InvariantCulture, $"Thread {scheduler.ThreadId} ({state}, group of {scheduler.Group.Members.Count}):")
                .AppendLine()
                .AppendLine(scheduler.DescribeTasklets());
        }

        return text.ToString();
    }
}
