using Warden.Errors;

namespace Warden.Tests.Infrastructure;

/// <summary>An error that wraps another, to exercise <see cref="Error.Is"/> through <see cref="Error.Unwrap"/>.</summary>
public sealed class WrappingError(string message, Error? inner) : Error
{
    public override string Message => message;

    public override Error? Unwrap() => inner;
}
