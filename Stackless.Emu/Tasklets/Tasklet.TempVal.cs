namespace Stackless.Emu;

public sealed partial class Tasklet
{
    /// <summary>
    /// Takes the tempval a resumed switch returns (Stackless's TASKLET_CLAIMVAL): reads <see cref="TempVal"/> and clears it.
    /// A bomb there was already raised by the resumption.
    /// </summary>
    internal object? TakeTempVal()
    {
        if (_cold is not { } cold)
        {
            return null;
        }

        var value = cold.TempVal;
        cold.TempVal = null;
        return value;
    }
}
