namespace Warden.Errors;

/// <summary>
/// An expected I/O failure that surfaced as an exception from .NET code (for example an
/// <see cref="System.IO.IOException"/> from a <see cref="System.IO.Stream"/>), carried as an error value.
/// </summary>
/// <remarks>Allocates; used only on paths that already failed with an exception.</remarks>
public sealed class ExceptionError : Error
{
    /// <summary>Wraps <paramref name="exception"/>.</summary>
    public ExceptionError(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        Exception = exception;
    }

    /// <summary>The exception that reported the failure.</summary>
    public Exception Exception { get; }

    /// <inheritdoc/>
    public override string Message => Exception.Message;
}
