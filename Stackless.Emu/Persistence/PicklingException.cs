namespace Stackless.Emu;

/// <summary>
/// Raised when a tasklet or a value cannot be pickled: a frame that is not a <see cref="TaskletFrame"/> method
/// suspended on the library's awaitables (Stackless refuses C frames the same way), or a value the serializer cannot save.
/// </summary>
public class PicklingException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public PicklingException()
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public PicklingException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and its cause.</summary>
    public PicklingException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// Raised when a pickle cannot be loaded: invalid or inconsistent data, a type of an assembly the caller did not allow, a
/// frame whose code differs from the build that wrote the pickle (assembly identity, state machine layout, await points),
/// a missing or wrong signature, or a pickle beyond the limits of <see cref="PickleOptions"/>. The message says what is
/// wrong and where (which tasklet, frame, field or object, and at which byte). Loading never throws anything else, and
/// a pickle that fails to load changes nothing in the scheduler.
/// </summary>
public class UnpicklingException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public UnpicklingException()
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public UnpicklingException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and its cause.</summary>
    public UnpicklingException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>True when the loader failed on a defect of its own rather than on a check of the data (the fuzz tests look for these).</summary>
    internal bool IsLoaderDefect { get; init; }
}
