namespace Stackless.Emu;

public partial class Channel<T> : IRendezvousChannel<T>
{
    // The shared channel interface (IRendezvousChannel<T>): each operation is a TaskletFrame that awaits the channel's
    // own form (a library awaitable), so a tasklet suspended inside it stays restorable whenever the form it awaits is.

    /// <inheritdoc/>
    async TaskletFrame IRendezvousChannel<T>.SendAsync(T value) => await SendAsync(value);

    /// <inheritdoc/>
    async TaskletFrame IRendezvousChannel<T>.SendAsync(T value, TimeSpan timeout) => await SendAsync(value, timeout);

    /// <inheritdoc/>
    async TaskletFrame IRendezvousChannel<T>.SendAsync(T value, CancellationToken cancellationToken) =>
        await SendAsync(value, cancellationToken);

    /// <inheritdoc/>
    async TaskletFrame<T> IRendezvousChannel<T>.ReceiveAsync() => await ReceiveAsync();

    /// <inheritdoc/>
    async TaskletFrame<T> IRendezvousChannel<T>.ReceiveAsync(TimeSpan timeout) => await ReceiveAsync(timeout);

    /// <inheritdoc/>
    async TaskletFrame<T> IRendezvousChannel<T>.ReceiveAsync(CancellationToken cancellationToken) =>
        await ReceiveAsync(cancellationToken);

    /// <inheritdoc/>
    TaskletFrame IRendezvousChannel<T>.CloseAsync()
    {
        Close();
        return default;
    }

    /// <inheritdoc/>
    TaskletFrame IRendezvousChannel<T>.OpenAsync()
    {
        Open();
        return default;
    }
}
