namespace Warden.SafeMem;

/// <summary>The 32-bit atomic operations a kernel makes on application memory (futexes), for <see cref="BlockAtomics.Apply"/>.</summary>
internal enum AtomicKind
{
    /// <summary>Reads the word.</summary>
    Load,

    /// <summary>Stores a new value and returns the old.</summary>
    Swap,

    /// <summary>Stores a new value if the word holds the expected one; returns the old.</summary>
    CompareAndSwap,
}
