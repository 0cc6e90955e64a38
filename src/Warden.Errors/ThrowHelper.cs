using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Warden.Errors;

/// <summary>
/// The one place Warden's assemblies throw from when a caller breaks a precondition. Each method is
/// out of line and builds its message itself, from a composite format and its arguments, so that a
/// check on a hot path stays a compare, a branch and a call (no string interpolation, no boxing).
/// </summary>
/// <remarks>
/// Internal to Warden: every Warden assembly sees it (InternalsVisibleTo). Expected failures are
/// never thrown; they are <see cref="Error"/> values.
/// </remarks>
internal static class ThrowHelper
{
    /// <summary>Throws <see cref="ArgumentException"/> for <paramref name="paramName"/>.</summary>
    [DoesNotReturn]
    public static void ThrowArgument(string paramName, string message) =>
        throw new ArgumentException(message, paramName);

    /// <summary>Throws <see cref="ArgumentException"/> with <paramref name="format"/> filled with <paramref name="arg0"/>.</summary>
    [DoesNotReturn]
    public static void ThrowArgument<T0>(string paramName, string format, T0 arg0) =>
        throw new ArgumentException(Format(format, arg0), paramName);

    /// <summary>Throws <see cref="ArgumentException"/> with <paramref name="format"/> filled with the arguments.</summary>
    [DoesNotReturn]
    public static void ThrowArgument<T0, T1>(string paramName, string format, T0 arg0, T1 arg1) =>
        throw new ArgumentException(Format(format, arg0, arg1), paramName);

    /// <summary>Throws <see cref="ArgumentException"/> with <paramref name="format"/> filled with the arguments.</summary>
    [DoesNotReturn]
    public static void ThrowArgument<T0, T1, T2>(string paramName, string format, T0 arg0, T1 arg1, T2 arg2) =>
        throw new ArgumentException(Format(format, arg0, arg1, arg2), paramName);

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for <paramref name="paramName"/>, which was <paramref name="actualValue"/>.</summary>
    [DoesNotReturn]
    public static void ThrowArgumentOutOfRange(string paramName, object? actualValue, string message) =>
        throw new ArgumentOutOfRangeException(paramName, actualValue, message);

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> with <paramref name="format"/> filled with <paramref name="arg0"/>.</summary>
    [DoesNotReturn]
    public static void ThrowArgumentOutOfRange<T0>(string paramName, object? actualValue, string format, T0 arg0) =>
        throw new ArgumentOutOfRangeException(paramName, actualValue, Format(format, arg0));

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> with <paramref name="format"/> filled with the arguments.</summary>
    [DoesNotReturn]
    public static void ThrowArgumentOutOfRange<T0, T1, T2>(string paramName, object? actualValue, string format, T0 arg0, T1 arg1, T2 arg2) =>
        throw new ArgumentOutOfRangeException(paramName, actualValue, Format(format, arg0, arg1, arg2));

    /// <summary>Throws <see cref="InvalidOperationException"/>.</summary>
    [DoesNotReturn]
    public static void ThrowInvalidOperation(string message) =>
        throw new InvalidOperationException(message);

    /// <summary>Throws <see cref="InvalidOperationException"/> with <paramref name="format"/> filled with <paramref name="arg0"/>.</summary>
    [DoesNotReturn]
    public static void ThrowInvalidOperation<T0>(string format, T0 arg0) =>
        throw new InvalidOperationException(Format(format, arg0));

    /// <summary>Throws <see cref="InvalidOperationException"/> with <paramref name="format"/> filled with the arguments.</summary>
    [DoesNotReturn]
    public static void ThrowInvalidOperation<T0, T1>(string format, T0 arg0, T1 arg1) =>
        throw new InvalidOperationException(Format(format, arg0, arg1));

    /// <summary>Throws <see cref="InvalidOperationException"/> with <paramref name="format"/> filled with the arguments.</summary>
    [DoesNotReturn]
    public static void ThrowInvalidOperation<T0, T1, T2>(string format, T0 arg0, T1 arg1, T2 arg2) =>
        throw new InvalidOperationException(Format(format, arg0, arg1, arg2));

    /// <summary>Throws <see cref="InvalidOperationException"/> caused by <paramref name="innerException"/>.</summary>
    [DoesNotReturn]
    public static void ThrowInvalidOperation(string message, Exception innerException) =>
        throw new InvalidOperationException(message, innerException);

    /// <summary>Throws <see cref="PlatformNotSupportedException"/>.</summary>
    [DoesNotReturn]
    public static void ThrowPlatformNotSupported(string message) =>
        throw new PlatformNotSupportedException(message);

    /// <summary>Throws <see cref="NotSupportedException"/>.</summary>
    [DoesNotReturn]
    public static void ThrowNotSupported(string message) =>
        throw new NotSupportedException(message);

    /// <summary>Throws <see cref="ObjectDisposedException"/> for an object of type <paramref name="objectName"/>.</summary>
    [DoesNotReturn]
    public static void ThrowObjectDisposed(string objectName, string? message = null) =>
        throw (message is null ? new ObjectDisposedException(objectName) : new ObjectDisposedException(objectName, message));

    /// <summary>Throws <see cref="OverflowException"/> with <paramref name="format"/> filled with the arguments.</summary>
    [DoesNotReturn]
    public static void ThrowOverflow<T0, T1>(string format, T0 arg0, T1 arg1) =>
        throw new OverflowException(Format(format, arg0, arg1));

    private static string Format<T0>(string format, T0 arg0) =>
        string.Format(CultureInfo.InvariantCulture, format, arg0);

    private static string Format<T0, T1>(string format, T0 arg0, T1 arg1) =>
        string.Format(CultureInfo.InvariantCulture, format, arg0, arg1);

    private static string Format<T0, T1, T2>(string format, T0 arg0, T1 arg1, T2 arg2) =>
        string.Format(CultureInfo.InvariantCulture, format, arg0, arg1, arg2);
}
