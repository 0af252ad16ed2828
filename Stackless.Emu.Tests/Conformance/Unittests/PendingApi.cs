using System.Reflection;

namespace Stackless.Emu.Tests.Conformance.Unittests;

/// <summary>
/// Stackless APIs the library does not have yet, reached by reflection under the names they are expected to get, so the
/// tests that need them are written in full, compile today, and run as soon as the API exists (remove the Skip then).
/// Each helper throws <see cref="NotSupportedException"/> while the API is missing.
/// </summary>
internal static class PendingApi
{
    /// <summary>Stackless's <c>switch_trap(delta)</c>: expected as <c>static int Scheduler.SwitchTrap(int delta)</c>.</summary>
    public static int SwitchTrap(int delta) => (int)Invoke(typeof(Scheduler), "SwitchTrap", null, delta)!;

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
        var property = typeof(Scheduler).GetProperty("ErrorHandler", BindingFlags.Public | BindingFlags.Static)
            ?? throw new NotSupportedException("Scheduler.ErrorHandler is not built yet");
        var old = (Action<Exception>?)property.GetValue(null);
        property.SetValue(null, handler);
        return old;
    }

    /// <summary>
    /// Stackless's <c>tasklet.bind_thread()</c>: expected as <c>Tasklet Tasklet.BindThread(int threadId = -1)</c>, which
    /// moves a paused or blocked tasklet to the scheduler of the calling thread (or of <c>threadId</c>).
    /// </summary>
    public static Tasklet BindThread(Tasklet tasklet) => (Tasklet)Invoke(typeof(Tasklet), "BindThread", tasklet)!;

    private static object? Invoke(Type type, string name, object? target, params object?[] args)
    {
        var method = type.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.Instance)
            .Where(m => m.Name == name && m.GetParameters().Length >= args.Length)
            .OrderBy(m => m.GetParameters().Length)
            .FirstOrDefault()
            ?? throw new NotSupportedException($"{type.Name}.{name} is not built yet");

        // Optional parameters the caller leaves out take their defaults.
        var parameters = method.GetParameters();
        var full = new object?[parameters.Length];
        for (var i = 0; i < full.Length; i++)
        {
            full[i] = i < args.Length ? args[i] : Type.Missing;
        }

        return Call(method, target, full);
    }

    private static object? Call(MethodInfo method, object? target, object?[] args)
    {
        try
        {
            return method.Invoke(target, args);
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(ex.InnerException);
            throw;
        }
    }

    private sealed class Undo(Action action) : IDisposable
    {
        public void Dispose() => action();
    }
}
