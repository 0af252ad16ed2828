using System.Diagnostics.CodeAnalysis;
using Bcl = System.Threading.Channels;

namespace Stackless.Emu;

public partial class Channel<T>
{
    // Views of the channel for code written against the BCL's shapes: System.Threading.Channels' ChannelReader/Writer and a
    // plain IAsyncEnumerable (which LINQ can use: the channel itself is IEnumerable and IAsyncEnumerable at once, so
    // channel.Take(3) is ambiguous). The views act on the channel itself: no buffer, rendezvous kept.

    /// <summary>
    /// The channel as an <see cref="IAsyncEnumerable{T}"/> only, so that LINQ over it binds to the asynchronous operators
    /// (<c>channel.AsAsyncEnumerable().Take(3)</c>): the channel is both <see cref="IEnumerable{T}"/> and
    /// <see cref="IAsyncEnumerable{T}"/>, which makes <c>channel.Take(3)</c> ambiguous (CS0121). For main and hard tasklets,
    /// <c>channel.AsEnumerable()</c> picks the synchronous operators.
    /// </summary>
    /// <remarks>Thread safety: any thread.</remarks>
#pragma warning disable VSTHRD200 // The BCL's name for such a view (AsyncEnumerable.ToAsyncEnumerable, AsEnumerable).
    public IAsyncEnumerable<T> AsAsyncEnumerable() => this;
#pragma warning restore VSTHRD200

    /// <summary>
    /// A <see cref="Bcl.ChannelReader{T}"/> over this channel, for code written against System.Threading.Channels.
    /// <c>ReadAsync</c> is <see cref="ReceiveAsync(CancellationToken)"/>; <c>TryRead</c> is <see cref="TryReceive"/> (a
    /// sender must be waiting); <c>WaitToReadAsync</c> completes when a sender waits, with false once the channel is
    /// completed and drained (<see cref="Complete"/>). The channel's closed errors surface as
    /// System.Threading.Channels' <see cref="Bcl.ChannelClosedException"/>.
    /// </summary>
    /// <remarks>Thread safety: any thread; the view's members are as thread-safe as the channel's.</remarks>
    public Bcl.ChannelReader<T> AsChannelReader() => new ReaderView(this);

    /// <summary>
    /// A <see cref="Bcl.ChannelWriter{T}"/> over this channel, for code written against System.Threading.Channels.
    /// <c>WriteAsync</c> is <see cref="SendAsync(T, CancellationToken)"/> (it completes once a receiver has taken the value);
    /// <c>TryWrite</c> is <see cref="TrySend"/> (a receiver must be waiting); <c>WaitToWriteAsync</c> completes when a
    /// receiver waits, with false once the channel is completed; <c>TryComplete</c> is <see cref="TryComplete"/>.
    /// </summary>
    /// <remarks>Thread safety: any thread; the view's members are as thread-safe as the channel's.</remarks>
    public Bcl.ChannelWriter<T> AsChannelWriter() => new WriterView(this);

    /// <summary>Raises the BCL's closed error for the channel's own (code written against System.Threading.Channels catches that one).</summary>
    [DoesNotReturn]
    private static void ThrowAsBclClosed(ChannelClosedException closed) =>
        throw new Bcl.ChannelClosedException(closed.Message, closed.InnerException ?? closed);

    /// <summary>The reader view (see <see cref="AsChannelReader"/>).</summary>
    private sealed class ReaderView(Channel<T> channel) : Bcl.ChannelReader<T>
    {
#pragma warning disable VSTHRD003 // The channel's own completion task.
        public override Task Completion => channel.Completion;
#pragma warning restore VSTHRD003

        public override bool TryRead([MaybeNullWhen(false)] out T item) => channel.TryReceive(out item);

        public override async ValueTask<T> ReadAsync(CancellationToken cancellationToken = default)
        {
            try
            {
                return await channel.ReceiveAsync(cancellationToken);
            }
            catch (ChannelClosedException closed)
            {
                ThrowAsBclClosed(closed);
                throw;
            }
        }

        public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default)
        {
            var wait = channel.WaitForPartnerAsync(direction: 1, cancellationToken);
            return wait.IsCompletedSuccessfully ? new ValueTask<bool>(EndOrValue(wait.Result)) : WaitAsync(wait);
        }

#pragma warning disable VSTHRD003 // The wait was started by WaitToReadAsync for this call.
        private async ValueTask<bool> WaitAsync(Task<bool> wait) => EndOrValue(await wait);
#pragma warning restore VSTHRD003

        /// <summary>False only once completed and drained; a completion with an error raises it, as the BCL's readers do.</summary>
        private bool EndOrValue(bool senderWaits) => senderWaits || channel.EndIteration();
    }

    /// <summary>The writer view (see <see cref="AsChannelWriter"/>).</summary>
    private sealed class WriterView(Channel<T> channel) : Bcl.ChannelWriter<T>
    {
        public override bool TryWrite(T item) => channel.TrySend(item);

        public override async ValueTask WriteAsync(T item, CancellationToken cancellationToken = default)
        {
            try
            {
                await channel.SendAsync(item, cancellationToken);
            }
            catch (ChannelClosedException closed)
            {
                ThrowAsBclClosed(closed);
            }
        }

        public override ValueTask<bool> WaitToWriteAsync(CancellationToken cancellationToken = default) =>
            new(channel.WaitForPartnerAsync(direction: -1, cancellationToken));

        public override bool TryComplete(Exception? error = null) => channel.TryComplete(error);
    }
}
