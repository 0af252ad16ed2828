namespace Stackless.Emu;

/// <summary>What an item of a scheduler's locked inbox queue asks its baton holder to do.</summary>
internal enum InboxItemKind : byte
{
    /// <summary>A tasklet handed back while it was already queued in the inbox stack (delivered by its wait state).</summary>
    Tasklet,

    /// <summary>A second resumption posted for one tasklet: its callback and state ride along.</summary>
    Resume,

    /// <summary>Work posted to the scheduler's synchronization context: it runs as a tasklet of its own.</summary>
    PostedWork,

    /// <summary>Another thread asks this scheduler to perform an operation (remote insert, kill, spawn ...).</summary>
    Action,

    /// <summary>The task a main or hard tasklet waits for (a <see cref="ThreadedWait"/>) completed.</summary>
    WaitDone,
}

/// <summary>One item of a scheduler's locked inbox queue.</summary>
internal readonly record struct InboxItem(InboxItemKind Kind, Tasklet? Tasklet, object? Callback, object? State);
