namespace Warden.UserMem;

/// <summary>Options that apply to every <see cref="IMemoryIO"/> operation.</summary>
public readonly record struct IOOpts
{
    /// <summary>
    /// Ignore the protections the program set with <c>mmap</c>/<c>mprotect</c> (as for
    /// <c>PTRACE_POKEDATA</c>). Protections the mapped object itself requires still apply.
    /// </summary>
    public bool IgnorePermissions { get; init; }

    /// <summary>
    /// The caller guarantees the address space is active, so the implementation may copy through
    /// the platform's address space without activating it first.
    /// </summary>
    public bool AddressSpaceActive { get; init; }
}
