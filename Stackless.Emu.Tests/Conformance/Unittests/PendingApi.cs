namespace Stackless.Emu.Tests.Conformance.Unittests;

/// <summary>
/// Stackless's spellings of two scheduler APIs, as the ported tests use them: <c>switch_trap</c> with its
/// <c>switch_trapped()</c> block, and <c>set_error_handler</c>, which returns the previous handler.
/// </summary>
internal static class PendingApi
{
    /// <summary>Stackless's <c>switch_trap(delta)</c>: expected as <c>static int Scheduler.SwitchTrap(int delta)</c>.</summary>
    public static int SwitchTrap(int delta) => Scheduler.SwitchTrap(delta);

    /// <summary>Stackless's <c>with switch_trapped():</c> block.</summary>
    public static IDisposable SwitchTrapped()
    {
        SwitchTrap(1);
        return new Undo(() => SwitchTrap(-1));
    }

    /// <summary>
    /// Stackless's <c>set_error_handler(handler)</c>: expected as a settable static property
    /// <c>Action&lt;Exception&gt;? Scheduler.ErrorHandler</c>; returns the previous handler.
    /// </summary>
    public static Action<Exception>? SetErrorHandler(Action<Exception>? handler)
    {
        var old = Scheduler.ErrorHandler;
        Scheduler.ErrorHandler = handler;
        return old;
    }

    private sealed class Undo(Action action) : IDisposable
    {
        public void Dispose() => action();
    }
}
