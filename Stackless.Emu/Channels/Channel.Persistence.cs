namespace Stackless.Emu;

public partial class Channel<T> : IPicklableChannel
{
    /// <inheritdoc/>
    string? IPicklableChannel.Name
    {
        get => Name;
        set => Name = value;
    }

    /// <inheritdoc/>
    void IPicklableChannel.RestoreWaiter(Tasklet tasklet, int direction, object? value)
    {
        if (direction > 0)
        {
            tasklet.PutValue((T)value!);
        }

        Enqueue(tasklet, direction);
    }
}

/// <summary>What the pickler needs of a channel beyond <see cref="IChannel"/>.</summary>
internal interface IPicklableChannel : IChannel
{
    /// <summary>The channel's diagnostic name.</summary>
    string? Name { get; set; }

    /// <summary>
    /// Puts a restored <paramref name="tasklet"/> back into the queue of waiters (at the end), in
    /// <paramref name="direction"/>; a sender's pending <paramref name="value"/> goes into its hand-over slot.
    /// </summary>
    void RestoreWaiter(Tasklet tasklet, int direction, object? value);
}
