using System.Diagnostics.CodeAnalysis;

namespace Warden.RangeMap;

/// <summary>
/// Throws for broken preconditions, out of line so that the checks on the map's hot paths stay a
/// compare and a branch.
/// </summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void ThrowInvalidSegment() =>
        throw new InvalidOperationException("The segment iterator is invalid (default, or past the first or last segment).");

    [DoesNotReturn]
    public static void ThrowInvalidGap() =>
        throw new InvalidOperationException("The gap iterator is invalid (default, or past the first or last gap).");

    [DoesNotReturn]
    public static void ThrowArgument(string message, string paramName) =>
        throw new ArgumentException(message, paramName);

    [DoesNotReturn]
    public static void ThrowCapacity(string paramName, int max) =>
        throw new ArgumentOutOfRangeException(paramName, $"A node capacity must be from 4 to {max}.");
}
