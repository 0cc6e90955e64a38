namespace Warden.Errors;

/// <summary>
/// An error identified only by its message; used for the seeds' sentinel errors (Go's
/// <c>errors.New</c> values), each of which is a single preallocated instance.
/// </summary>
public sealed class SentinelError : Error
{
    /// <summary>Creates a sentinel. Keep the instance in a static field: identity is what matters.</summary>
    public SentinelError(string message)
    {
        ArgumentException.ThrowIfNullOrEmpty(message);
        Message = message;
    }

    /// <inheritdoc/>
    public override string Message { get; }
}

/// <summary>The sentinel errors shared by every layer.</summary>
public static class WellKnownErrors
{
    /// <summary>
    /// End of input (Go's <c>io.EOF</c>): a reader has no more data. It is not a failure of the
    /// reader; callers that read "to the end" stop on it.
    /// </summary>
    public static readonly SentinelError EndOfStream = new("end of stream");

    /// <summary>
    /// A reader or writer made no progress several times in a row without reporting why (Go's
    /// <c>io.ErrNoProgress</c>); returned instead of looping forever.
    /// </summary>
    public static readonly SentinelError NoProgress = new("multiple reads or writes made no progress");
}
