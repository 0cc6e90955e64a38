namespace Warden.Errors;

/// <summary>
/// Carries an <see cref="Errors.Error"/> out of an API that can only report failure by throwing,
/// such as <see cref="Stream.Read(Span{byte})"/> on a stream over application memory.
/// </summary>
public sealed class ErrorException : IOException
{
    /// <summary>Creates the exception for <paramref name="error"/> after <paramref name="bytesTransferred"/> bytes.</summary>
    public ErrorException(Error error, long bytesTransferred = 0)
        : base(error?.ToString())
    {
        ArgumentNullException.ThrowIfNull(error);
        Error = error;
        BytesTransferred = bytesTransferred;
    }

    /// <summary>The error value that caused the failure.</summary>
    public Error Error { get; }

    /// <summary>How many bytes the failed operation transferred before it stopped.</summary>
    public long BytesTransferred { get; }
}
