using System.Diagnostics;

namespace Stackless.Emu;

/// <summary>
/// A stored resumption of a suspended soft tasklet: the delegate an awaiter or a
/// <see cref="SynchronizationContext"/> handed over, and its state. A struct, so storing one
/// in the tasklet allocates nothing.
/// </summary>
internal readonly struct Continuation
{
    private readonly object? _callback;
    private readonly object? _state;

    private Continuation(object callback, object? state)
    {
        _callback = callback;
        _state = state;
    }

    /// <summary>True when a continuation is stored.</summary>
    public bool IsSet => _callback is not null;

    /// <summary>The stored delegate (the pickler finds a suspended frame through it).</summary>
    public object? Callback => _callback;

    /// <summary>An awaiter's continuation (what <c>await</c> hands to <c>OnCompleted</c>).</summary>
    public static Continuation From(Action action) => new(action, null);

    /// <summary>An <see cref="System.Threading.Tasks.Sources.IValueTaskSource"/> continuation.</summary>
    public static Continuation From(Action<object?> action, object? state) => new(action, state);

    /// <summary>A continuation posted to a tasklet's synchronization context.</summary>
    public static Continuation From(SendOrPostCallback callback, object? state) => new(callback, state);

    /// <summary>Runs the continuation on the calling thread.</summary>
    public void Invoke()
    {
        switch (_callback)
        {
            case Action action:
                action();
                break;
            case Action<object?> withState:
                withState(_state);
                break;
            case SendOrPostCallback posted:
                posted(_state);
                break;
            default:
                Debug.Fail("Invoke on an empty continuation.");
                break;
        }
    }
}
