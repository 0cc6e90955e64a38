using Warden.Errors;
using Warden.HostArch;
using Warden.MemMap;
using Warden.Platform;
using Warden.RangeMap;

namespace Warden.Platforms.SoftMmu;

/// <summary>
/// An address space of a <see cref="SoftMmuPlatform"/>: a software page table that records, for each
/// mapped page, the <see cref="IFile"/> offset behind it and the accesses allowed, and through which
/// <see cref="IAddressSpaceIO"/> copies.
/// </summary>
/// <remarks>
/// <para>
/// The table is kept as maximal runs: abutting pages that map the same file object at contiguous
/// offsets with the same permissions form one run. Permissions are taken literally: a read needs
/// <see cref="AccessType.Read"/>, a write <see cref="AccessType.Write"/> (write does not imply read;
/// callers that want x86's rules pass <see cref="AccessType.Effective"/> permissions, as a memory
/// manager does).
/// </para>
/// <para>
/// <b>Thread safety:</b> every member may be called from any thread. One reader-writer lock guards
/// the table: <see cref="MapFile"/>, <see cref="Unmap"/> and <see cref="Release"/> hold it for
/// writing, the I/O methods, <see cref="Lookup"/> and <see cref="GetMappings"/> for reading, so a copy
/// sees the table either wholly before or wholly after a concurrent change, and once <see cref="Unmap"/>
/// returns no copy touches the pages it removed. The lock is a leaf except that I/O calls
/// <see cref="IFile.MapInternal"/> while holding it (lock order: the caller's locks, then this
/// address space's lock, then the file's). The table holds no references on the files it maps: a
/// caller must keep the mapped file ranges referenced while they are mapped (a memory manager unmaps
/// before it releases pages).
/// </para>
/// </remarks>
public sealed partial class SoftMmuAddressSpace : IAddressSpace
{
    private const string ReleasedMessage = "The address space was released; get a new one from IPlatform.NewAddressSpace.";

    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly Addr _minUserAddress;
    private readonly Addr _maxUserAddress;
    private readonly bool _supportsIO;

    // Guarded by _lock.
    private readonly RangeMap<AddrRange, PageTableEntry, PageTableOps> _pageTable = new();

    // Guarded by _lock (written under the write lock; read without it as a statistic).
    private ulong _mappedBytes;
    private long _mapFileCalls;
    private long _unmapCalls;

    // Guarded by _lock; once true it stays true.
    private bool _released;

    internal SoftMmuAddressSpace(SoftMmuPlatform platform)
    {
        Platform = platform;
        _minUserAddress = platform.MinUserAddress;
        _maxUserAddress = platform.MaxUserAddress;
        _supportsIO = platform.SupportsAddressSpaceIO;
    }

    /// <summary>The platform that made this address space.</summary>
    public SoftMmuPlatform Platform { get; }

    /// <summary>The number of bytes mapped now (0 after <see cref="Release"/>).</summary>
    public ulong MappedBytes => Volatile.Read(ref _mappedBytes);

    /// <summary>How many <see cref="MapFile"/> calls installed a mapping (failed ones are not counted).</summary>
    public long MapFileCalls => Volatile.Read(ref _mapFileCalls);

    /// <summary>How many <see cref="Unmap"/> calls were made (whether or not anything was mapped there).</summary>
    public long UnmapCalls => Volatile.Read(ref _unmapCalls);

    /// <summary>Whether <see cref="Release"/> has been called.</summary>
    public bool IsReleased => Volatile.Read(ref _released);

    /// <inheritdoc/>
    /// <remarks>
    /// <para><b>Preconditions</b> (else <see cref="ArgumentException"/>; <see cref="ObjectDisposedException"/>
    /// after <see cref="Release"/>):</para>
    /// <list type="bullet">
    /// <item><paramref name="addr"/> and both ends of <paramref name="fr"/> are page-aligned; <paramref name="fr"/> is non-empty.</item>
    /// <item>The mapped addresses lie within <c>[MinUserAddress, MaxUserAddress)</c>.</item>
    /// <item><c><paramref name="at"/>.Any</c> is <c>true</c>.</item>
    /// <item>The caller keeps every page of <paramref name="fr"/> referenced until it is unmapped.</item>
    /// </list>
    /// <para><b>Postconditions:</b> on success the range maps <paramref name="fr"/> with
    /// <paramref name="at"/>, replacing whatever it mapped before (as <c>MAP_FIXED</c> does). With
    /// <paramref name="precommit"/>, <see cref="IFile.MapInternal"/> is called on <paramref name="fr"/>
    /// first, and its error, if any, is returned with nothing changed.</para>
    /// </remarks>
    public Error? MapFile(Addr addr, IFile file, FileRange fr, AccessType at, bool precommit)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (!addr.IsPageAligned)
        {
            ThrowHelper.ThrowArgument(nameof(addr), "MapFile needs a page-aligned address, not {0}.", addr);
        }
        if (!fr.IsPageAligned || fr.IsEmpty)
        {
            ThrowHelper.ThrowArgument(nameof(fr), "MapFile needs a non-empty page-aligned file range, not {0}.", fr);
        }
        if (!at.Any)
        {
            ThrowHelper.ThrowArgument(nameof(at), "MapFile needs at least one allowed access.");
        }
        (AddrRange ar, bool ok) = addr.ToRange(fr.Length);
        if (!ok || ar.Start < _minUserAddress || ar.End > _maxUserAddress)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(addr), addr,
                "MapFile of 0x{0:x} bytes there leaves [{1}, {2}).", fr.Length, _minUserAddress, _maxUserAddress);
        }

        if (precommit)
        {
            // Nothing to commit in a software table; validating the range is what precommit can mean here.
            (_, Error? mapError) = file.MapInternal(fr, at);
            if (mapError is not null)
            {
                return mapError;
            }
        }

        _lock.EnterWriteLock();
        try
        {
            ThrowIfReleasedLocked();
            ulong replaced = _pageTable.SpanRange(ar);
            RangeMap<AddrRange, PageTableEntry, PageTableOps>.Gap gap = _pageTable.RemoveRange(ar);
            _pageTable.Insert(gap, ar, new PageTableEntry(file, fr.Start, at));
            Volatile.Write(ref _mappedBytes, _mappedBytes - replaced + fr.Length);
            Volatile.Write(ref _mapFileCalls, _mapFileCalls + 1);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
        return null;
    }

    /// <inheritdoc/>
    /// <remarks>
    /// <para><b>Preconditions</b> (else <see cref="ArgumentException"/>; <see cref="ObjectDisposedException"/>
    /// after <see cref="Release"/>): <paramref name="addr"/> is page-aligned; <paramref name="length"/>
    /// is non-zero.</para>
    /// <para><b>Postconditions:</b> nothing is mapped in <c>[addr, addr + length)</c>, with the end rounded
    /// up to a page boundary; the parts of the range outside the user addresses, or past the top of the
    /// address space, are ignored (nothing can be mapped there).</para>
    /// </remarks>
    public void Unmap(Addr addr, ulong length)
    {
        if (!addr.IsPageAligned)
        {
            ThrowHelper.ThrowArgument(nameof(addr), "Unmap needs a page-aligned address, not {0}.", addr);
        }
        if (length == 0)
        {
            ThrowHelper.ThrowArgument(nameof(length), "Unmap needs a non-zero length.");
        }
        (Addr end, bool ok) = addr.AddLength(length);
        ulong endValue = ulong.MaxValue;
        if (ok)
        {
            (ulong rounded, bool roundedOk) = Arch.PageRoundUp(end.Value);
            if (roundedOk)
            {
                endValue = rounded;
            }
        }
        ulong start = Math.Max(addr.Value, _minUserAddress.Value);
        endValue = Math.Min(endValue, _maxUserAddress.Value);

        _lock.EnterWriteLock();
        try
        {
            ThrowIfReleasedLocked();
            Volatile.Write(ref _unmapCalls, _unmapCalls + 1);
            if (start < endValue)
            {
                var ar = new AddrRange(new Addr(start), new Addr(endValue));
                ulong removed = _pageTable.SpanRange(ar);
                if (removed != 0)
                {
                    _pageTable.RemoveRange(ar);
                    Volatile.Write(ref _mappedBytes, _mappedBytes - removed);
                }
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// <b>Postconditions:</b> everything is unmapped and <see cref="IsReleased"/> is <c>true</c>; every
    /// later call except <see cref="Release"/> (which does nothing again) and the statistics throws
    /// <see cref="ObjectDisposedException"/>. Waits for I/O running on other threads to finish.
    /// </remarks>
    public void Release()
    {
        _lock.EnterWriteLock();
        try
        {
            if (_released)
            {
                return;
            }
            _pageTable.RemoveAll();
            Volatile.Write(ref _mappedBytes, 0);
            Volatile.Write(ref _released, true);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
        // The lock is not disposed: a thread that broke the precondition may still be waiting on it,
        // and should see ObjectDisposedException from this class rather than from the lock.
    }

    /// <summary>Looks up what is mapped at <paramref name="addr"/>.</summary>
    /// <returns>The mapping's file, the file offset of <paramref name="addr"/> and the permissions;
    /// <c>Mapped</c> is <c>false</c> if nothing is mapped there.</returns>
    /// <exception cref="ObjectDisposedException">The address space was released.</exception>
    public SoftMmuLookup Lookup(Addr addr)
    {
        _lock.EnterReadLock();
        try
        {
            ThrowIfReleasedLocked();
            RangeMap<AddrRange, PageTableEntry, PageTableOps>.Segment seg = _pageTable.FindSegment(addr.Value);
            if (!seg.IsValid)
            {
                return default;
            }
            PageTableEntry entry = seg.Value;
            return new SoftMmuLookup(true, entry.File, entry.Offset + (addr.Value - seg.Start), entry.Perms) { Range = seg.Range };
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>Returns every run of the page table, in increasing address order. Allocates; for tests and diagnostics.</summary>
    /// <exception cref="ObjectDisposedException">The address space was released.</exception>
    public SoftMmuMapping[] GetMappings()
    {
        _lock.EnterReadLock();
        try
        {
            ThrowIfReleasedLocked();
            var result = new SoftMmuMapping[_pageTable.Count];
            int i = 0;
            foreach (RangeMap<AddrRange, PageTableEntry, PageTableOps>.Segment seg in _pageTable)
            {
                PageTableEntry entry = seg.Value;
                result[i++] = new SoftMmuMapping(seg.Range, entry.File, entry.Offset, entry.Perms);
            }
            return result;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>Throws if released; for the platform's context, which checks before running a CPU here.</summary>
    internal void ThrowIfReleased()
    {
        if (Volatile.Read(ref _released))
        {
            ThrowHelper.ThrowObjectDisposed(nameof(SoftMmuAddressSpace), ReleasedMessage);
        }
    }

    private void ThrowIfReleasedLocked()
    {
        if (_released)
        {
            ThrowHelper.ThrowObjectDisposed(nameof(SoftMmuAddressSpace), ReleasedMessage);
        }
    }
}
