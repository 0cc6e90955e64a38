using Warden.Errors;

namespace Warden.MemMap;

/// <summary>
/// An error from <see cref="IMappable.Translate"/> that should end a failed page fault with
/// <c>SIGBUS</c> rather than <c>SIGSEGV</c> (for example, access beyond the end of a mapped file).
/// </summary>
public sealed class BusError : Error
{
    /// <summary>Wraps <paramref name="error"/>.</summary>
    public BusError(Error error)
    {
        ArgumentNullException.ThrowIfNull(error);
        Err = error;
    }

    /// <summary>The original error.</summary>
    public Error Err { get; }

    /// <inheritdoc/>
    public override string Message => $"BusError: {Err.Message}";

    /// <inheritdoc/>
    public override Error? Unwrap() => Err;
}
