using Warden.Mm;

namespace Warden.Kernel.Tasks;

/// <summary>
/// A counted reference to a <see cref="MemoryManager"/> (Linux's <c>mm_users</c>): held by each
/// process using it (a vfork child shares its parent's until it execs or exits); the last release
/// disposes it, which releases its memory and its platform address space.
/// </summary>
/// <remarks>Thread-safe.</remarks>
internal sealed class AddressSpaceRef(MemoryManager mm)
{
    private int _refs = 1;

    public MemoryManager MM { get; } = mm;

    /// <summary>Adds a user.</summary>
    /// <exception cref="InvalidOperationException">The address space is already released.</exception>
    public AddressSpaceRef IncRef()
    {
        if (Interlocked.Increment(ref _refs) <= 1)
        {
            throw new InvalidOperationException("An address space was shared after its last user released it.");
        }
        return this;
    }

    /// <summary>Adds a user unless the last one has already released it (a reader of another process's memory, which may be exiting).</summary>
    /// <returns>Whether a reference was taken, to be dropped with <see cref="DecRef"/>.</returns>
    public bool TryIncRef()
    {
        int refs = Volatile.Read(ref _refs);
        while (refs > 0)
        {
            int seen = Interlocked.CompareExchange(ref _refs, refs + 1, refs);
            if (seen == refs)
            {
                return true;
            }
            refs = seen;
        }
        return false;
    }

    /// <summary>Drops a user; the last disposes the memory manager.</summary>
    public void DecRef()
    {
        if (Interlocked.Decrement(ref _refs) == 0)
        {
            MM.Dispose();
        }
    }
}
