namespace Warden.Tests.Mm.Oracle;

/// <summary>
/// Something memory system calls can be applied to: the real kernel (in this process or a child) or a
/// Warden <c>MemoryManager</c>. Addresses are the target's own (inside its <see cref="Window"/>).
/// </summary>
/// <remarks>
/// Results are Linux's: a system call's return value and errno (0 on success). A kernel target may
/// place a mapping the kernel chose the address of outside the window: it then holds it as pending
/// until the runner calls <see cref="Relocate"/> or <see cref="DiscardPending"/>.
/// </remarks>
public interface IOracleTarget : IDisposable
{
    /// <summary>A short name for reports ("kernel", "warden", ...).</summary>
    string Name { get; }

    OracleWindow Window { get; }

    /// <summary>Whether addresses this target chooses (non-fixed mmap, moving mremap) are always inside its window.</summary>
    bool PlacesInWindow { get; }

    (long Result, int Errno) Mmap(ulong addr, ulong len, int prot, int flags);

    (long Result, int Errno) Munmap(ulong addr, ulong len);

    (long Result, int Errno) Mprotect(ulong addr, ulong len, int prot);

    (long Result, int Errno) Mremap(ulong oldAddr, ulong oldLen, ulong newLen, int flags, ulong newAddr);

    (long Result, int Errno) Madvise(ulong addr, ulong len, int advice);

    /// <summary>Linux's brk: returns the new break, or the unchanged one on failure.</summary>
    ulong Brk(ulong addr);

    /// <summary><c>mincore(addr, len, vector)</c>; <paramref name="vector"/> has room for every page the call may report.</summary>
    (long Result, int Errno) Mincore(ulong addr, ulong len, Span<byte> vector);

    /// <summary><c>mlock(addr, len)</c> when <paramref name="flags"/> is 0, otherwise <c>mlock2(addr, len, flags)</c>.</summary>
    (long Result, int Errno) Mlock(ulong addr, ulong len, int flags);

    /// <summary><c>munlock(addr, len)</c>.</summary>
    (long Result, int Errno) Munlock(ulong addr, ulong len);

    /// <summary><c>mlockall(flags)</c>: only targets whose <see cref="CanLockAll"/> is set (it locks the whole process).</summary>
    (long Result, int Errno) Mlockall(int flags);

    /// <summary><c>munlockall()</c>: only targets whose <see cref="CanLockAll"/> is set.</summary>
    (long Result, int Errno) Munlockall();

    /// <summary>
    /// A MAP_32BIT mmap the target places itself (below 2 GiB, outside every window), unmapped again
    /// at once: its result and errno. Only targets whose <see cref="CanLockAll"/> is set (a child, or
    /// the Warden of a brk run, whose address space reaches down there).
    /// </summary>
    (long Result, int Errno) MmapLow32(ulong addr, ulong len, int prot, int flags);

    /// <summary>
    /// fork(2), only where <see cref="CanLockAll"/> is set: the child writes <paramref name="data"/> at
    /// <paramref name="addr"/> as <see cref="Write"/> does and waits for <see cref="EndFork"/>. Returns
    /// that write's count and errno. One forked child at a time.
    /// </summary>
    (long Count, int Errno) Fork(ulong addr, ReadOnlySpan<byte> data);

    /// <summary>
    /// Ends the child <see cref="Fork"/> made: a digest of each of its pages over the snapshot regions,
    /// in order (<see cref="PageDigest"/>: 0 where it has nothing mapped). The child exits.
    /// </summary>
    ulong[] EndFork();

    /// <summary>Whether mlockall and munlockall may be applied (not to the test process itself: it would lock the runtime).</summary>
    bool CanLockAll { get; }

    /// <summary>The vmas over the snapshot regions (clipped to them) with their smaps VmFlags, in order.</summary>
    IReadOnlyList<VmaState> Vmas();

    /// <summary>A system call's write (copy_to_user): the bytes written and EFAULT when fewer than asked.</summary>
    (long Count, int Errno) Write(ulong addr, ReadOnlySpan<byte> data);

    /// <summary>A system call's read (copy_from_user): the bytes read and EFAULT when fewer than asked.</summary>
    (long Count, int Errno) Read(ulong addr, Span<byte> buffer);

    /// <summary>The state of every page of the window's snapshot regions.</summary>
    IReadOnlyList<PageState> Snapshot();

    /// <summary>The maps lines of the snapshot regions (for reports).</summary>
    string WindowMapsText();

    /// <summary>The contents of a page mapped with any access; <c>null</c> if it cannot be read.</summary>
    byte[]? PageContents(ulong page);

    /// <summary>Reads the pages from <paramref name="start"/> into <paramref name="into"/> at once; <c>false</c> if any cannot be read.</summary>
    bool TryReadPages(ulong start, Span<byte> into);

    /// <summary>Moves the mapping of <paramref name="len"/> bytes a policy placement left at <paramref name="from"/> to <paramref name="to"/>.</summary>
    void Relocate(ulong from, ulong len, ulong to);

    /// <summary>Drops a pending mapping outside the window (after the other target failed).</summary>
    void DiscardPending();

    /// <summary>
    /// Undoes a call the other side could not make for lack of room in its window: the pending
    /// mapping outside the window goes (moved back to [<paramref name="backTo"/>, +<paramref name="backLen"/>)
    /// when it came from there, i.e. a moving mremap; unmapped when <paramref name="backLen"/> is 0).
    /// </summary>
    void UndoPending(ulong backTo, ulong backLen);
}
