namespace Warden.Mm;

/// <summary>
/// Linux vma flags that change little or nothing Warden does but still keep vmas apart (two vmas
/// merge only when their flags are equal) and show in smaps' VmFlags, so that Warden splits, merges
/// and reports exactly as Linux does.
/// </summary>
[Flags]
internal enum VmaHints : ushort
{
    None = 0,

    /// <summary>MAP_NORESERVE (VM_NORESERVE).</summary>
    NoReserve = 1,

    /// <summary>MAP_STACK (VM_NOHUGEPAGE since Linux 6.7).</summary>
    NoHugePage = 2,

    /// <summary>MADV_RANDOM (VM_RAND_READ).</summary>
    RandomRead = 4,

    /// <summary>MADV_SEQUENTIAL (VM_SEQ_READ).</summary>
    SequentialRead = 8,

    /// <summary>MADV_HUGEPAGE (VM_HUGEPAGE).</summary>
    HugePage = 16,

    /// <summary>MADV_DONTDUMP, and every MAP_DROPPABLE mapping (VM_DONTDUMP).</summary>
    DontDump = 32,

    /// <summary>MADV_MERGEABLE on private memory (VM_MERGEABLE).</summary>
    Mergeable = 64,

    /// <summary>
    /// MAP_DROPPABLE (VM_DROPPABLE, Linux 6.11): memory the kernel may drop under pressure. Such a
    /// vma is never locked (mlock succeeds without locking it) and refuses MADV_KEEPONFORK and
    /// MADV_DODUMP. Warden never drops it, which Linux allows.
    /// </summary>
    Droppable = 128,

    /// <summary>
    /// MAP_SYNC (VM_SYNC): Linux sets it on every mapping made with the flag, anonymous ones too,
    /// where it means nothing but keeps the vma apart from neighbours without it (smaps "sf").
    /// </summary>
    Sync = 256,
}
