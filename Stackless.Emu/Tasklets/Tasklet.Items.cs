namespace Stackless.Emu;

public sealed partial class Tasklet
{
    /// <summary>
    /// Values that belong to this tasklet and travel with it: they are pickled with it (<see cref="Dump(PickleOptions)"/>,
    /// <see cref="TaskletPickler"/>), so a tasklet moved to another process or machine finds them again (like
    /// <c>HttpContext.Items</c> for a request). Values must be picklable. Created on first use: a tasklet that never
    /// reads this allocates nothing.
    /// </summary>
    /// <remarks>Not synchronised: use it from the tasklet's own thread (the tasklet itself, or code on its scheduler).</remarks>
    /// <remarks>Thread safety: the tasklet's own thread only (the dictionary takes no lock); from another thread it raises <see cref="InvalidOperationException"/>.</remarks>
    public IDictionary<string, object?> Items
    {
        get
        {
            ThrowIfNotOwnThread("Tasklet.Items");
            return Cold.Items ??= new Dictionary<string, object?>(StringComparer.Ordinal);
        }
    }

    /// <summary>The items if any were ever stored, else null (for the pickler; never allocates).</summary>
    internal Dictionary<string, object?>? ItemsIfAny => _cold?.Items is { Count: > 0 } items ? items : null;
}
