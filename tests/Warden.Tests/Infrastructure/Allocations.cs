namespace Warden.Tests.Infrastructure;

/// <summary>
/// Measures what an operation allocates on the calling thread, for tests of the paths that must
/// allocate nothing. This checks behaviour, not speed.
/// </summary>
public static class Allocations
{
    /// <summary>
    /// Bytes allocated by <paramref name="iterations"/> calls of <paramref name="action"/>, after
    /// enough warm-up calls that JIT compilation and static initialisation are not counted.
    /// </summary>
    /// <remarks>
    /// The runtime may allocate on this thread once while it installs a recompiled method (tier-up
    /// can land in the middle of a loop when the suite loads the machine), so the loop is measured up
    /// to three times and the least kept: an action that allocates does so in every round.
    /// </remarks>
    public static long By(Action action, int iterations = 1000) => By(action, iterations, warmups: 100);

    /// <inheritdoc cref="By(Action, int)"/>
    /// <param name="action">The operation measured.</param>
    /// <param name="iterations">Calls per measured round.</param>
    /// <param name="warmups">Calls before measuring, for an action that is itself a long loop.</param>
    public static long By(Action action, int iterations, int warmups)
    {
        for (int i = 0; i < warmups; i++)
        {
            action();
        }
        long least = long.MaxValue;
        for (int round = 0; round < 3 && least != 0; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < iterations; i++)
            {
                action();
            }
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return least;
    }
}
