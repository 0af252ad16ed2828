namespace Stackless.Emu;

internal sealed partial class ThreadScheduler
{
    // Stackless's error handler (set_error_handler): one per process, as Stackless keeps it per interpreter. It is called,
    // in place of raising the error in main, for an exception that ends a tasklet (TaskletExit aside), with the ending
    // tasklet as the current one. If it returns, the error is handled; if it throws, its own exception goes to main as
    // the tasklet's would have (Stackless: "Similarly if the handler itself raises an error").

    private static volatile Action<Exception>? s_errorHandler;

    /// <summary>The process-wide handler for exceptions that end tasklets, or null for the default (raise in main).</summary>
    public static Action<Exception>? ErrorHandler
    {
        get => s_errorHandler;
        set => s_errorHandler = value;
    }

    /// <summary>Hands <paramref name="error"/>, which ended <paramref name="tasklet"/>, to the error handler, or raises it in the wakeup tasklet.</summary>
    private void RaiseTaskletError(Tasklet tasklet, Exception error)
    {
        if (s_errorHandler is { } handler)
        {
            var saved = _executingOverride;
            _executingOverride = tasklet;
            try
            {
                handler(error);
                return;
            }
#pragma warning disable CA1031 // A failing handler's error goes to main in place of the tasklet's (Stackless).
            catch (Exception handlerError)
#pragma warning restore CA1031
            {
                error = handlerError;
            }
            finally
            {
                _executingOverride = saved;
            }
        }

        RaiseIn(Wakeup, error);
    }
}
