using System.Text;

namespace Stackless.Emu;

/// <summary>
/// Where a value sits in the graph being pickled or loaded, for error messages: an immutable chain from the value up to
/// its tasklet, channel or object-table entry. Built as the pickler walks (one small node per step) and formatted only
/// when an error is raised, e.g. <c>element 3 of field items of frame Program.Worker of tasklet #0</c>.
/// </summary>
internal sealed class PickleLocation
{
    private readonly PickleLocation? _parent;
    private readonly string _what;
    private readonly string? _name;
    private readonly bool _counter;
    private int _index;

    private PickleLocation(PickleLocation? parent, string what, string? name, int index, bool counter = false)
    {
        _parent = parent;
        _what = what;
        _name = name;
        _index = index;
        _counter = counter;
    }

    /// <summary>The outermost location: the pickle as a whole.</summary>
    public static readonly PickleLocation Root = new(null, "the pickle", null, -1);

    /// <summary>A named part of this location (<c>field x</c>, <c>frame Program.Recurs</c>).</summary>
    public PickleLocation Named(string what, string name) => new(this, what, name, -1);

    /// <summary>A numbered part of this location (<c>tasklet #2</c>, <c>element 5</c>).</summary>
    public PickleLocation Numbered(string what, int index) => new(this, what, null, index);

    /// <summary>
    /// A numbered part whose number the reader moves along a collection (<see cref="Index"/>), so a million elements do
    /// not make a million locations. Never keep it: its number changes.
    /// </summary>
    public PickleLocation Counter(string what) => new(this, what, null, 0, counter: true);

    /// <summary>The number of a <see cref="Counter"/>.</summary>
    public int Index
    {
        set => _index = _counter ? value : throw new InvalidOperationException("Only a counter location is renumbered.");
    }

    /// <summary>A part without name or number (<c>the tempval</c>).</summary>
    public PickleLocation Part(string what) => new(this, what, null, -1);

    /// <inheritdoc/>
    public override string ToString()
    {
        var text = new StringBuilder();
        var first = true;
        var depth = 0;
        for (var location = this; location is not null && location != Root; location = location._parent)
        {
            if (++depth > 12)
            {
                text.Append(" of ...");
                break;
            }

            text.Append(first ? string.Empty : " of ").Append(location._what);
            if (location._name is not null)
            {
                text.Append(' ').Append(location._name);
            }
            else if (location._index >= 0)
            {
                text.Append(" #").Append(location._index);
            }

            first = false;
        }

        return first ? Root._what : text.ToString();
    }
}
