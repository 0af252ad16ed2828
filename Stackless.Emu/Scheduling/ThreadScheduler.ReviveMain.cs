using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace Stackless.Emu;

internal sealed partial class ThreadScheduler
{
    // Stackless's schedule_task_block, "emulate old revive_main behavior": when the last runnable tasklet blocks while
    // the wakeup tasklet (main) floats in run() or is paused, main is revived, and if the blocking tasklet's tempval is a
    // bomb (it blocked in send_exception/send_throw, or sending a Bomb value), main gets that bomb: run() raises it. The
    // sender stays blocked with its error; nothing is taken from it. The channel names the blocker as it empties the
    // chain; the loop's very next dispatch, if it revives main, hands the bomb over (a later one is another event).

    /// <summary>
    /// Notes that <paramref name="sender"/>, which carries an error for its receiver, has just blocked and emptied the
    /// runnable chain: if main is revived at the next dispatch, it gets the error (see above).
    /// </summary>
    public void NoteBlockedWithError(Tasklet sender)
    {
        Debug.Assert(_current is null && sender.Wait == TaskletWait.Channel);
        _blockedWithError = sender;
        _blockedWithErrorAt = _dispatched;
    }

    /// <summary>
    /// Called as the floating <paramref name="wakeup"/> is revived because nothing else can run: gives it the error of the
    /// sender whose block emptied the chain right before, as Stackless does (its <c>run()</c> raises it).
    /// </summary>
    private void PassBlockedErrorTo(Tasklet wakeup)
    {
        var sender = _blockedWithError;
        _blockedWithError = null;
        if (sender is null || _blockedWithErrorAt + 1 != _dispatched || sender.Wait != TaskletWait.Channel || sender == wakeup)
        {
            return;
        }

        if (sender.PeekError() is { } error)
        {
            wakeup.SetTempVal(new Bomb(error is ExceptionDispatchInfo info ? info.SourceException : (Exception)error));
        }
    }
}
