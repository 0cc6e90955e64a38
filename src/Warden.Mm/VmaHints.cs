namespace Warden.Mm;

/// <summary>
/// Linux vma flags that change nothing Warden does but still keep vmas apart (two vmas merge only
/// when their flags are equal), so that Warden splits and merges exactly where Linux does.
/// </summary>
[Flags]
internal enum VmaHints : byte
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
}
