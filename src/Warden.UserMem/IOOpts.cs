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

    /// <summary>
    /// The access is made for another process (<c>process_vm_readv</c>/<c>process_vm_writev</c>),
    /// as Linux's <c>get_user_pages</c> makes it: pages are faulted in, but a grows-down mapping is
    /// not grown, where the program's own copies (<c>copy_to_user</c>) grow it. Implied by
    /// <see cref="IgnorePermissions"/>.
    /// </summary>
    public bool Remote { get; init; }
}
