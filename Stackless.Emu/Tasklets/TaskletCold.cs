using System.Runtime.ExceptionServices;

namespace Stackless.Emu;

/// <summary>
/// The rarely used state of a <see cref="Tasklet"/>, kept out of the tasklet object so that a blocked tasklet stays
/// small: created on the first use of any of these members. Touched only by the tasklet's scheduler, except
/// <see cref="Cancellation"/> (see <c>Tasklet.Cancellation.cs</c>).
/// </summary>
internal sealed class TaskletCold
{
    /// <summary>The tasklet's diagnostic name.</summary>
    public string? Name;

    /// <summary>An exception to raise at the tasklet's suspension point when it next runs.</summary>
    public ExceptionDispatchInfo? PendingException;

    /// <summary>Stackless's tempval; a <see cref="Bomb"/> here explodes when the tasklet next resumes.</summary>
    public object? TempVal;

    /// <summary>The baton of a threaded (main or hard) tasklet.</summary>
    public SemaphoreSlim? BatonSignal;

    /// <summary>The source of <c>Tasklet.CancellationToken</c>; replaced once cancelled.</summary>
    public CancellationTokenSource? Cancellation;

    /// <summary>The tasklet's items (<c>Tasklet.Items</c>).</summary>
    public Dictionary<string, object?>? Items;

    /// <summary>The execution context the tasklet runs under, when it is not the thread's default.</summary>
    public ExecutionContext? ExecutionContext;

    /// <summary>Whether the tasklet was given a context explicitly (<c>SetExecutionContext</c>, <c>ContextRun</c>) before it was set up.</summary>
    public bool ContextAssigned;

    /// <summary>The resumption a foreign awaitable of a <see cref="TaskletFrame"/> method calls: posts the tasklet back to its scheduler.</summary>
    public Action? ForeignResume;

    /// <summary>The reusable box for handed-over values of struct types that contain references or exceed 8 bytes.</summary>
    public object? ValueBox;

    /// <summary>Resumptions of extra flows inside the tasklet, run as its next steps (a second post while one is pending).</summary>
    public Queue<(object Callback, object? State)>? DeferredPosts;

    /// <summary>
    /// The routing context of a <see cref="TaskletFrame"/> tasklet that awaited a plain async method which suspended it
    /// on a library operation (created then, installed for its steps from then on; async-delegate tasklets keep theirs
    /// in their body field).
    /// </summary>
    public TaskletSynchronizationContext? Routing;

    /// <summary>The asynchronous operation a <see cref="TaskletKind.Foreign"/> stand-in completes.</summary>
    public ForeignOperation? Foreign;

    /// <summary>The open cancellation of the tasklet's current channel wait, disposed when the operation returns.</summary>
    public ICancelRequest? CancelRequest;

    /// <summary>Killers waiting for this tasklet to leave its I/O and run (their Kill or Throw returns after it).</summary>
    public List<Tasklet>? Joiners;

    /// <summary>The new body of a main tasklet rebound while paused: it runs as main's code when main next resumes.</summary>
    public Func<Task>? ReboundMainBody;

    /// <summary>
    /// Whether something must happen at the next resumption: a pending exception or a bomb in tempval is raised, a
    /// rebound main runs its new body.
    /// </summary>
    public bool HasPending => PendingException is not null || TempVal is Bomb || ReboundMainBody is not null;
}
