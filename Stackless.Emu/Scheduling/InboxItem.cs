namespace Stackless.Emu;

/// <summary>What an item of a scheduler's inbox asks its baton holder to do.</summary>
internal enum InboxItemKind : byte
{
    /// <summary>A tasklet's I/O (foreign await or blocking call) completed: its continuation, if any, is its next step.</summary>
    Resume,

    /// <summary>A channel action on another thread served a tasklet of this scheduler: it becomes runnable.</summary>
    ChannelWake,

    /// <summary>Another thread asks this scheduler to perform an operation (remote insert, kill, spawn ...).</summary>
    Action,
}

/// <summary>One item of a scheduler's inbox: a kind, the tasklet concerned, and a continuation or action.</summary>
internal readonly record struct InboxItem(InboxItemKind Kind, Tasklet? Tasklet, Continuation Continuation);
