using Stackless.Emu.Diagnostics;

namespace Stackless.Emu;

internal sealed partial class ThreadScheduler
{
    // Stackless's switch_trap: a level per thread (here per scheduler). While it is not 0, an operation that would switch
    // this scheduler to another tasklet raises instead, before it has changed anything. A switch that happens on another
    // thread (a tasklet of that thread made runnable there) is not trapped, as in Stackless. The operations test the level
    // only behind RareWork (HasRareWork), so it costs nothing while it is 0.

    /// <summary>Adds <paramref name="delta"/> to the switch trap level and returns the previous level.</summary>
    public int AdjustSwitchTrap(int delta)
    {
        var old = _switchTrap;
        _switchTrap = unchecked(old + delta);
        SetRare(RareWork.SwitchTrap, _switchTrap != 0);
        return old;
    }

    /// <summary>Raises Stackless's switch_trap error if the level is not 0 and the operation <paramref name="switches"/>; call it behind <see cref="HasRareWork"/>.</summary>
    public void ThrowIfSwitchTrapped(bool switches = true)
    {
        if (switches && _switchTrap != 0)
        {
            throw new InvalidOperationException(ErrorMessages.SwitchTrap);
        }
    }

    /// <summary>Whether involuntary switches (the watchdog's interrupts) are held back by the switch trap.</summary>
    private bool SwitchTrapped => _switchTrap != 0;
}
