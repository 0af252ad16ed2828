using System.Runtime.ExceptionServices;

namespace Stackless.Emu;

/// <summary>
/// An exception packed as a value (Stackless's <c>bomb</c>). A <see cref="Bomb"/> received from an
/// untyped <see cref="Channel"/>, or found in <see cref="Tasklet.TempVal"/> when a tasklet resumes,
/// explodes: its exception is raised in the receiving tasklet with its original stack trace.
/// </summary>
/// <remarks>Thread safety: immutable; <see cref="Raise"/> may be called on any thread and throws on the calling one.</remarks>
public sealed class Bomb
{
    private readonly ExceptionDispatchInfo _info;

    /// <summary>Packs <paramref name="exception"/> (its stack trace, if it was thrown, is kept).</summary>
    public Bomb(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        _info = ExceptionDispatchInfo.Capture(exception);
    }

    /// <summary>The packed exception.</summary>
    public Exception Exception => _info.SourceException;

    /// <summary>The packed exception's type (Stackless's <c>bomb.type</c>).</summary>
    public Type Type => _info.SourceException.GetType();

    /// <summary>Raises the packed exception, keeping its original stack trace.</summary>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    public void Raise() => _info.Throw();

    /// <inheritdoc/>
    public override string ToString() => $"Bomb({Type.Name}: {Exception.Message})";
}
