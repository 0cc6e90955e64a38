using PmaMap = Warden.RangeMap.RangeMap<Warden.HostArch.AddrRange, Warden.Mm.Pma, Warden.Mm.PmaOps>;
using VmaMap = Warden.RangeMap.RangeMap<Warden.HostArch.AddrRange, Warden.Mm.Vma, Warden.Mm.VmaOps>;
using Warden.Errors;
using Warden.HostArch;
using Warden.MemMap;
using Warden.PgAlloc;
using Warden.Platform;
using Warden.UserMem;

namespace Warden.Mm;

/// <summary>
/// An application's address space: what it mapped (vmas), what memory currently backs it (pmas),
/// and the copies into and out of it that a kernel makes on its behalf. Every operation has Linux's
/// semantics and errnos.
/// </summary>
/// <remarks>
/// <para><b>Locking.</b> Two reader-writer locks. The <i>mapping lock</i> guards the vmas, the brk and
/// the usage counters; the <i>active lock</i> guards the pmas (and their cached internal mappings)
/// and the platform address space. They are always taken in this order, and both before the memory
/// file's own lock:</para>
/// <list type="bullet">
/// <item>MemoryManager._mappingLock (read: faults, slow-path copies, procfs; write: mmap, munmap,
/// mprotect, mremap, brk, madvise, mlock, stack growth)
///   <list type="bullet">
///   <item>MemoryManager._activeLock (read: every copy; write: making or changing pmas, mapping into
///   the platform; a copy downgrades its write hold to read once its pmas exist)
///     <list type="bullet"><item>MemoryFile._lock (Warden.PgAlloc)</item></list>
///   </item>
///   </list>
/// </item>
/// </list>
/// <para>A copy whose pmas exist takes only the active lock for reading; faults take the mapping
/// lock for reading, so they queue only on the active lock, and a fault that must grow a stack
/// takes the mapping lock for writing first and then faults again. Fork also takes the new child's
/// locks, each right after the parent's of the same kind (parent mapping, child mapping, parent
/// active, child active); no other thread can know the child yet. Unpin takes the mapping lock for
/// reading and the active lock for writing. Populating (MAP_POPULATE, mlock) takes the active lock
/// a huge page at a time, checking the context's cancellation between.</para>
/// <para><b>Memory safety.</b> A pma holds a reference on its file range, and pages are only released
/// with the active lock held for writing, so a copy (which holds it for reading) never touches a page
/// after its release. A thread's copy hint is valid only for the active lock's generation it was
/// made in, which every write hold changes.</para>
/// <para><see cref="IMappable"/> callbacks are made with the mapping lock held: AddMapping and
/// RemoveMapping without the active lock, Translate with it held for writing;
/// <see cref="Invalidate"/> takes only the active lock.</para>
/// </remarks>
public sealed partial class MemoryManager : IMemoryIO, IMappingSpace, IDisposable
{
    private readonly IPlatform _platform;
    private readonly IMemory _memory;
    private readonly MemoryFile? _memoryFile;
    private readonly MemoryManagerOptions _options;
    private readonly MmapLayout _layout;
    private readonly Random? _random;

    private readonly ReaderWriterLockSlim _mappingLock = new(LockRecursionPolicy.NoRecursion);
    private readonly ActiveLock _activeLock = new();

    // Guarded by the mapping lock.
    private readonly VmaMap _vmas = new();
    private ulong _usageAS;
    private ulong _dataAS;
    private ulong _lockedAS;
    // Bytes Linux's locked_vm still counts for vmas MREMAP_DONTUNMAP unlocked without uncharging
    // them: they count against RLIMIT_MEMLOCK (and in VmLck) for the manager's life.
    private ulong _lockedLeftCharged;
    private ulong _brkStart;
    private ulong _brk;
    private MLockMode _defaultMLockMode;
    private ResourceLimits _limits;

    // Guarded by the active lock.
    private readonly PmaMap _pmas = new();
    private ulong _curRSS;
    private ulong _maxRSS;
    private long _copyOnWriteBreaks;

    // Guarded by the active lock: memory file ranges RemovePmasLocked is releasing (kept, empty, between uses).
    private readonly List<FileRange> _releasedRanges = [];
    private IAddressSpace? _addressSpace;

    private bool _disposed;

    /// <summary>Creates an empty address space whose memory comes from <paramref name="platform"/>'s <see cref="IPlatform.Memory"/>.</summary>
    /// <param name="platform">The platform programs run on; its address spaces are created by <see cref="Activate"/>.</param>
    /// <param name="options">Limits, layout and randomisation; <see langword="null"/> for the defaults.</param>
    /// <exception cref="ArgumentException">The layout is not page-aligned or its bases lie outside its bounds.</exception>
    /// <example>
    /// A memory manager over the in-process SoftMmu platform: map a page, write to it and read it back
    /// (<c>samples/EmulatorEmbedding</c> runs a program in one).
    /// <code language="csharp">
    /// (MemoryFile? memory, Error? error) = MemoryFile.Create();
    /// var mm = new MemoryManager(new SoftMmuPlatform(memory!));
    /// IContext ctx = Context.Background;
    /// (ulong addr, error) = MemorySyscalls.Mmap(ctx, mm, 0, Arch.PageSize,
    ///     LinuxMman.PROT_READ | LinuxMman.PROT_WRITE, LinuxMman.MAP_PRIVATE | LinuxMman.MAP_ANONYMOUS);
    /// mm.CopyOut(ctx, new Addr(addr), "hello"u8, default);
    /// var back = new byte[5];
    /// mm.CopyIn(ctx, new Addr(addr), back, default);
    /// mm.Dispose();
    /// memory!.Dispose();
    /// </code>
    /// </example>
    public MemoryManager(IPlatform platform, MemoryManagerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(platform);
        _platform = platform;
        _memory = platform.Memory;
        _memoryFile = _memory as MemoryFile;
        _options = options ?? MemoryManagerOptions.Default;
        _limits = _options.Limits;
        _random = _options.RandomSeed is int seed ? new Random(seed) : null;
        _layout = _options.Layout ?? MmapLayout.Create(
            Math.Max(platform.MinUserAddress.Value, Arch.PageSize), platform.MaxUserAddress.Value, _limits.Stack, _random);
        ValidateLayout(_layout);
    }

    // Fork's constructor: same platform, options and layout.
    private MemoryManager(MemoryManager parent)
    {
        _platform = parent._platform;
        _memory = parent._memory;
        _memoryFile = parent._memoryFile;
        _options = parent._options;
        _layout = parent._layout;
        _limits = parent._limits;
        _random = parent._options.RandomSeed is int seed ? new Random(seed) : null;
    }

    /// <summary>The layout mmap places mappings by.</summary>
    public MmapLayout Layout => _layout;

    /// <summary>The options this manager was created with.</summary>
    public MemoryManagerOptions Options => _options;

    /// <summary>
    /// The resource limits mmap, brk, mlock and stack growth obey: at first the options', then what
    /// setrlimit(2) made them. A fork's child starts with its parent's.
    /// </summary>
    public ResourceLimits Limits
    {
        get => ReadUnderMappingLock(static mm => mm._limits);
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            _mappingLock.EnterWriteLock();
            try
            {
                _limits = value;
            }
            finally
            {
                _mappingLock.ExitWriteLock();
            }
        }
    }

    /// <summary>The memory anonymous pages are allocated from.</summary>
    public IMemory Memory => _memory;

    // The lowest address of a fixed mapping (see MmapLayout.FixedMinAddress).
    private ulong FixedMinAddress => _layout.FixedMinAddress ?? _layout.MinAddress;

    private static void ValidateLayout(MmapLayout layout)
    {
        bool aligned = Arch.IsPageAligned(layout.MinAddress) && Arch.IsPageAligned(layout.MaxAddress) &&
            Arch.IsPageAligned(layout.TopDownBase) && Arch.IsPageAligned(layout.BottomUpBase);
        bool ordered = layout.MinAddress < layout.MaxAddress &&
            layout.MinAddress <= layout.TopDownBase && layout.TopDownBase <= layout.MaxAddress &&
            layout.MinAddress <= layout.BottomUpBase && layout.BottomUpBase <= layout.MaxAddress &&
            (layout.FixedMinAddress ?? 0) <= layout.MinAddress && Arch.IsPageAligned(layout.FixedMinAddress ?? 0);
        if (!aligned || !ordered)
        {
            ThrowHelper.ThrowArgument(
                nameof(layout), "The mmap layout must be page-aligned with its bases inside [MinAddress, MaxAddress) and FixedMinAddress at most MinAddress: {0}.", layout);
        }
    }

    /// <summary>The mapping lock, for tests that hold it to show what does not wait for it.</summary>
    internal ReaderWriterLockSlim MappingLockForTesting => _mappingLock;

    private static AddrRange Range(ulong start, ulong end) => new((Addr)start, (Addr)end);

    /// <summary>
    /// Unmaps everything and releases the platform address space. The memory manager must not be used
    /// afterwards; a second call does nothing.
    /// </summary>
    public void Dispose()
    {
        _mappingLock.EnterWriteLock();
        try
        {
            if (_disposed)
            {
                return;
            }
            // The platform address space goes first: nothing runs in it any more, so nothing need
            // be unmapped from it one range at a time (and a stub that died already, or that the
            // platform has released, is not asked to).
            _activeLock.EnterWriteLock();
            try
            {
                _addressSpace?.Release();
                _addressSpace = null;
            }
            finally
            {
                _activeLock.ExitWriteLock();
            }
            UnmapLocked(Contexts.Context.Background, 0, ulong.MaxValue);
            _disposed = true;
        }
        finally
        {
            _mappingLock.ExitWriteLock();
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
