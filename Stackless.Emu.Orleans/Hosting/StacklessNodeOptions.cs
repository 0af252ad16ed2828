namespace Stackless.Emu.Orleans;

/// <summary>Options of the tasklet node that <c>AddStacklessTasklets</c> adds to each silo.</summary>
public sealed class StacklessNodeOptions
{
    /// <summary>Scheduler threads per silo (default: 1). Each group runs on one of them.</summary>
    public int SchedulerThreads { get; set; } = 1;

    /// <summary>
    /// How tasklets are pickled for spawning, migration and checkpoints. Allow the assemblies of your tasklet code
    /// (<see cref="PickleOptions.AllowAssemblyOf{T}"/>); Stackless.Emu.Orleans allows its own.
    /// </summary>
    public PickleOptions Pickle { get; set; } = new();

    /// <summary>Attempts of a tasklet's call to a channel grain before <see cref="OutcomeUnknownException"/> (default 3).</summary>
    public int CallAttempts { get; set; } = 3;

    /// <summary>
    /// How often a group asks the channel about an operation that waits longer than this (default 5 s): a tasklet whose
    /// notification was lost, or that was restored from a checkpoint, learns its outcome this way.
    /// </summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Whether channel grains write their queues and outcomes to grain storage on every change (default true).</summary>
    public bool DurableChannels { get; set; } = true;

    /// <summary>
    /// Outcomes of finished operations a channel remembers per tasklet (default 256), so a repeated operation gets its
    /// first outcome. A tasklet restored from a checkpoint older than this many of its operations on one channel may
    /// repeat a transfer.
    /// </summary>
    public int OutcomeLogSize { get; set; } = 256;

    /// <summary>Tasklets a channel remembers outcomes for (default 1,024; the least recently active are forgotten first).</summary>
    public int OutcomeLogTasklets { get; set; } = 1024;

    /// <summary>When set, every group writes a checkpoint this often while it has tasklets (default: only on request).</summary>
    public TimeSpan? CheckpointInterval { get; set; }
}
