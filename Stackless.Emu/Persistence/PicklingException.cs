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
/// Raised when a pickle cannot be loaded: invalid data, a type of an assembly the caller did not allow, or a frame
/// whose code differs from the build that wrote the pickle (assembly identity or state machine layout).
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
}
