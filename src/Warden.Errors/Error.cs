namespace Warden.Errors;

/// <summary>
/// An expected failure, returned as a value next to a count (never thrown).
/// </summary>
/// <remarks>
/// <c>null</c> means success. Every error that a hot path can return is a preallocated singleton, so
/// returning one allocates nothing; compare errors by reference or with <see cref="Is"/>.
/// </remarks>
public abstract class Error
{
    /// <summary>A short human-readable description of the failure.</summary>
    public abstract string Message { get; }

    /// <summary>
    /// Returns whether this error is <paramref name="target"/> or wraps it (through
    /// <see cref="Unwrap"/>), in the manner of Go's <c>errors.Is</c>.
    /// </summary>
    public bool Is(Error target)
    {
        ArgumentNullException.ThrowIfNull(target);
        for (Error? e = this; e is not null; e = e.Unwrap())
        {
            if (ReferenceEquals(e, target))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The error this one wraps, if any.</summary>
    public virtual Error? Unwrap() => null;

    /// <inheritdoc/>
    public override string ToString() => Message;
}
