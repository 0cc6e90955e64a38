using Warden.Errors;

namespace Warden.Kernel;

/// <summary>
/// An error that stands for a Linux errno (what a program sees) but carries a message for the
/// person running it, such as why an executable cannot be loaded.
/// </summary>
/// <param name="errno">The errno a program sees.</param>
/// <param name="message">What went wrong, for a person.</param>
public sealed class KernelError(Errno errno, string message) : Error
{
    /// <summary>The errno a program sees.</summary>
    public Errno Errno { get; } = errno;

    /// <inheritdoc/>
    public override string Message { get; } = message;

    /// <inheritdoc/>
    public override Error? Unwrap() => Errno;
}
