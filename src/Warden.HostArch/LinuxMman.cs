namespace Warden.HostArch;

/// <summary>
/// The x86-64 Linux values of the memory system calls' flags (&lt;sys/mman.h&gt;), as programs pass
/// them to mmap(2) and friends (and Warden.Mm.MemorySyscalls). <see cref="AccessType"/> converts the PROT_ bits.
/// </summary>
public static class LinuxMman
{
#pragma warning disable CS1591 // The names are Linux's own; each is documented in mmap(2) and friends.
    public const int PROT_NONE = 0x0;
    public const int PROT_READ = 0x1;
    public const int PROT_WRITE = 0x2;
    public const int PROT_EXEC = 0x4;
    public const int PROT_SEM = 0x8;
    public const int PROT_GROWSDOWN = 0x01000000;
    public const int PROT_GROWSUP = 0x02000000;

    public const int MAP_SHARED = 0x01;
    public const int MAP_PRIVATE = 0x02;
    public const int MAP_SHARED_VALIDATE = 0x03;
    public const int MAP_DROPPABLE = 0x08;
    public const int MAP_TYPE = 0x0f;
    public const int MAP_FIXED = 0x10;
    public const int MAP_ANONYMOUS = 0x20;
    public const int MAP_32BIT = 0x40;
    public const int MAP_GROWSDOWN = 0x0100;
    public const int MAP_DENYWRITE = 0x0800;
    public const int MAP_EXECUTABLE = 0x1000;
    public const int MAP_LOCKED = 0x2000;
    public const int MAP_NORESERVE = 0x4000;
    public const int MAP_POPULATE = 0x8000;
    public const int MAP_NONBLOCK = 0x10000;
    public const int MAP_STACK = 0x20000;
    public const int MAP_HUGETLB = 0x40000;
    public const int MAP_SYNC = 0x80000;
    public const int MAP_FIXED_NOREPLACE = 0x100000;
    public const int MAP_UNINITIALIZED = 0x4000000;
    public const int MAP_HUGE_SHIFT = 26;
    public const int MAP_HUGE_MASK = 0x3f;

    public const int MREMAP_MAYMOVE = 1;
    public const int MREMAP_FIXED = 2;
    public const int MREMAP_DONTUNMAP = 4;

    public const int MADV_NORMAL = 0;
    public const int MADV_RANDOM = 1;
    public const int MADV_SEQUENTIAL = 2;
    public const int MADV_WILLNEED = 3;
    public const int MADV_DONTNEED = 4;
    public const int MADV_FREE = 8;
    public const int MADV_REMOVE = 9;
    public const int MADV_DONTFORK = 10;
    public const int MADV_DOFORK = 11;
    public const int MADV_MERGEABLE = 12;
    public const int MADV_UNMERGEABLE = 13;
    public const int MADV_HUGEPAGE = 14;
    public const int MADV_NOHUGEPAGE = 15;
    public const int MADV_DONTDUMP = 16;
    public const int MADV_DODUMP = 17;
    public const int MADV_WIPEONFORK = 18;
    public const int MADV_KEEPONFORK = 19;
    public const int MADV_COLD = 20;
    public const int MADV_PAGEOUT = 21;
    public const int MADV_POPULATE_READ = 22;
    public const int MADV_POPULATE_WRITE = 23;
    public const int MADV_DONTNEED_LOCKED = 24;
    public const int MADV_COLLAPSE = 25;
    public const int MADV_HWPOISON = 100;

    public const int MCL_CURRENT = 1;
    public const int MCL_FUTURE = 2;
    public const int MCL_ONFAULT = 4;

    public const int MLOCK_ONFAULT = 1;

    public const int MS_ASYNC = 1;
    public const int MS_INVALIDATE = 2;
    public const int MS_SYNC = 4;
#pragma warning restore CS1591
}
