using Warden.Contexts;
using Warden.Errors;
using Warden.HostArch;
using Warden.MemMap;

namespace Warden.Mm;

public sealed partial class MemoryManager
{
    /// <summary>
    /// Creates a mapping as described by <paramref name="opts"/> and returns its address.
    /// </summary>
    /// <remarks>
    /// <para>A shared mapping without a mappable gets a new shared anonymous mappable. Errors are
    /// Linux's: EINVAL (zero length, unaligned fixed address or offset, <see cref="MMapOpts.Unmap"/>
    /// without <see cref="MMapOpts.Fixed"/>, <see cref="MMapOpts.Force"/> without both), ENOMEM (no room, a limit or
    /// the map count), EEXIST (a fixed no-replace range is in use), EACCES (perms beyond max perms),
    /// EPERM/EAGAIN (locking beyond RLIMIT_MEMLOCK), EOVERFLOW (offset + length overflows).</para>
    /// <para>Takes the mapping lock for writing.</para>
    /// </remarks>
    public (Addr Addr, Error? Error) MMap(IContext ctx, MMapOpts opts) => MMap(ctx, opts, VmaHints.None);

    // MMap with the Linux flags that only keep vmas apart (MAP_NORESERVE, MAP_STACK, MAP_SYNC) and
    // the error the file's own mmap gives, if any (Linux calls it once the limits admit the
    // mapping, after a fixed mapping has replaced what was there).
    internal (Addr Addr, Error? Error) MMap(IContext ctx, MMapOpts opts, VmaHints hints, Error? fileMmapError = null)
    {
        // The seeds' preconditions on the options, checked here so that every caller (not only the
        // mmap syscall, whose flags cannot express them) gets Linux's answer for a malformed request.
        if ((opts.Unmap && !opts.Fixed) || (opts.Force && !(opts.Fixed && opts.Unmap)))
        {
            return (default, Errno.EINVAL);
        }
        if (opts.Length == 0)
        {
            return (default, Errno.EINVAL);
        }
        (ulong length, bool ok) = Arch.PageRoundUp(opts.Length);
        if (!ok || length == 0)
        {
            return (default, Errno.ENOMEM);
        }
        if (opts.Mappable is not null)
        {
            if (!Arch.IsPageAligned(opts.Offset))
            {
                return (default, Errno.EINVAL);
            }
            if (opts.Offset + length < opts.Offset)
            {
                return (default, Errno.EOVERFLOW);
            }
        }
        if (!opts.MaxPerms.SupersetOf(opts.Perms))
        {
            return (default, Errno.EACCES);
        }
        if (opts.GrowsDown && opts.Mappable is not null)
        {
            return (default, Errno.EINVAL);
        }

        _mappingLock.EnterWriteLock();
        ulong addr;
        Vma vma;
        try
        {
            ThrowIfDisposed();
            (addr, Error? error) = PlaceMappingLocked(opts, length);
            error ??= LockAdmissionErrorLocked(opts, length);
            if (error is null)
            {
                error = LimitsErrorLocked(opts, addr, length);
                Error? overcommitError = error is null ? OvercommitError(opts, hints, addr, length) : null;
                if (overcommitError is not null && opts.Fixed && opts.Unmap && opts.Mappable is null && !opts.Private)
                {
                    // Linux charges new shared anonymous memory as it makes the shmem object, after it
                    // has taken down what a fixed mapping replaces: that range is left a hole.
                    UnmapLocked(ctx, addr, addr + length);
                    return (default, overcommitError);
                }
                error ??= overcommitError;
                if (error is not null && opts.Fixed && opts.Unmap)
                {
                    // Linux (6.12 and later) has split the mappings a fixed mapping replaces at its
                    // ends before these checks, and leaves them split when one fails.
                    SplitVmaAtLocked(addr);
                    SplitVmaAtLocked(addr + length);
                }
            }
            if (error is not null)
            {
                return (default, error);
            }
            // MAP_DROPPABLE memory is never locked, not even by mlockall(MCL_FUTURE). Linux ORs the
            // mm's default lock flags into MAP_LOCKED's, so under MCL_FUTURE|MCL_ONFAULT it is lock-on-fault.
            MLockMode mlockMode = (hints & VmaHints.Droppable) != 0 ? MLockMode.None
                : opts.MLockMode != MLockMode.None && _defaultMLockMode != MLockMode.Lazy ? opts.MLockMode : _defaultMLockMode;
            SharedAnonMappable? created = null;
            if (opts.Mappable is null && !opts.Private)
            {
                (created, Error? createError) = SharedAnonMappable.Create(_memory, length);
                if (createError is not null)
                {
                    return (default, createError);
                }
                opts.Mappable = created;
                opts.MappingIdentity = created;
                opts.Offset = 0;
            }
            vma = new Vma
            {
                Mappable = opts.Mappable,
                Offset = opts.Mappable is null ? addr : opts.Offset,
                Accounted = opts.Private && opts.Perms.Write && (hints & VmaHints.NoReserve) == 0,
                Hints = hints,
                RealPerms = opts.Perms,
                MaxPerms = opts.MaxPerms,
                Private = opts.Private,
                GrowsDown = opts.GrowsDown,
                IsStack = opts.Stack,
                WipeOnFork = (hints & VmaHints.Droppable) != 0,
                MLockMode = mlockMode,
                Id = opts.MappingIdentity,
                Name = opts.Name,
                NameMut = opts.NameMut,
            };
            if (opts.Fixed && opts.Unmap)
            {
                UnmapLocked(ctx, addr, addr + length);
            }
            if (fileMmapError is not null)
            {
                // Linux has taken the old mappings down when the file's mmap refuses: they stay gone.
                return (default, fileMmapError);
            }
            if (vma.Mappable is not null)
            {
                Error? addError = vma.Mappable.AddMapping(ctx, this, Range(addr, addr + length), vma.Offset, vma.CanWriteMappable);
                if (addError is not null)
                {
                    created?.DecRef(ctx);
                    return (default, addError);
                }
            }
            // MAP_DROPPABLE memory mapped under mlockall(MCL_FUTURE) merges with nothing: Linux
            // tries the merge while the vma still has the lock flags it then drops.
            bool droppableUnderFuture = (vma.Hints & VmaHints.Droppable) != 0 && _defaultMLockMode != MLockMode.None;
            InsertVmaLocked(addr, addr + length, vma, merge: !droppableUnderFuture);
            // The vma now holds the new shared memory's reference (see AccountIdentity).
            created?.DecRef(ctx);

            // Linux's populate passes over a lock-on-fault vma (mlockall(MCL_FUTURE|MCL_ONFAULT)),
            // MAP_POPULATE or not: its pages come at the first touch. (A commit, or an effect
            // required by the caller, is Warden's own and still done.) MAP_DROPPABLE memory that
            // mlockall(MCL_FUTURE) would have locked is populated though left unlocked, even
            // lock-on-fault: Linux decides to populate before it drops the lock flags.
            bool populate = droppableUnderFuture ||
                ((opts.PlatformEffect != MMapPlatformEffect.Default || vma.MLockMode == MLockMode.Eager) &&
                (vma.MLockMode != MLockMode.Lazy || opts.PlatformEffect == MMapPlatformEffect.Commit || opts.RequirePlatformEffect));
            if (populate)
            {
                Error? populateError = PopulateLocked(ctx, addr, addr + length, vma, opts.PlatformEffect == MMapPlatformEffect.Commit);
                if (populateError is not null && opts.RequirePlatformEffect && opts.PlatformEffect != MMapPlatformEffect.Default)
                {
                    UnmapLocked(ctx, addr, addr + length);
                    return (default, populateError);
                }
            }
        }
        finally
        {
            _mappingLock.ExitWriteLock();
        }
        return ((Addr)addr, null);
    }

    /// <summary>
    /// Runs mmap's checks up to and including choosing the address (fixed, or searched for) and the
    /// right to lock, without mapping: the errno Linux reports before it looks at the file or the
    /// mapping type, or <see langword="null"/>.
    /// </summary>
    internal Error? ProbeMMap(in MMapOpts opts)
    {
        if (opts.Length == 0)
        {
            return Errno.EINVAL;
        }
        (ulong length, bool ok) = Arch.PageRoundUp(opts.Length);
        if (!ok || length == 0)
        {
            return Errno.ENOMEM;
        }
        _mappingLock.EnterReadLock();
        try
        {
            return PlaceMappingLocked(opts, length).Error ?? LockAdmissionErrorLocked(opts, length);
        }
        finally
        {
            _mappingLock.ExitReadLock();
        }
    }

    /// <summary>
    /// <see cref="ProbeMMap"/> for a MAP_HUGETLB mapping of <paramref name="hugePageSize"/> pages
    /// (<paramref name="opts"/>' length a multiple of it): as Linux's hugetlb_get_unmapped_area, a
    /// hint is first rounded up to a huge page, and the search that follows a refused hint leaves
    /// room to align the start to one.
    /// </summary>
    internal Error? ProbeHugeTlbMMap(in MMapOpts opts, ulong hugePageSize)
    {
        ulong length = opts.Length;
        if (opts.Fixed || length + hugePageSize < length)
        {
            return ProbeMMap(opts);
        }
        _mappingLock.EnterReadLock();
        try
        {
            if (_vmas.Count > _options.MaxMapCount)
            {
                return Errno.ENOMEM;
            }
            // The hint rounds up with the C arithmetic's wrap-around, to none near the top.
            ulong hint = (RaisedHint(opts.Addr.Value) + hugePageSize - 1) & ~(hugePageSize - 1);
            Error? error = HintFitsLocked(hint, length, opts.Map32Bit) ? null
                : FindAvailableLocked(0, length + hugePageSize - Arch.PageSize, opts.Map32Bit).Error;
            return error ?? LockAdmissionErrorLocked(opts, length);
        }
        finally
        {
            _mappingLock.ExitReadLock();
        }
    }

    // MAP_LOCKED needs the right to lock at all (EPERM); then the new mapping, locked by MAP_LOCKED
    // or by an earlier mlockall(MCL_FUTURE), must fit RLIMIT_MEMLOCK beside what is locked now
    // (EAGAIN). Like Linux, a fixed mapping's length counts in full even where it replaces locked
    // pages, and a MAP_DROPPABLE one counts though it will not be locked. Mapping lock held.
    private Error? LockAdmissionErrorLocked(in MMapOpts opts, ulong length)
    {
        if (opts.MLockMode != MLockMode.None && !_options.CanLockMemory && _limits.MemLock == 0)
        {
            return Errno.EPERM;
        }
        MLockMode mode = opts.MLockMode != MLockMode.None ? opts.MLockMode : _defaultMLockMode;
        return mode != MLockMode.None && !LockFitsLimitLocked(length) ? Errno.EAGAIN : null;
    }

    // Checks RLIMIT_AS and RLIMIT_DATA for a new mapping at [addr, addr + length). Mapping lock held.
    private Error? LimitsErrorLocked(in MMapOpts opts, ulong addr, ulong length)
    {
        ulong replaced = opts.Fixed && opts.Unmap ? MappedBytesLocked(addr, addr + length) : 0;
        if (_usageAS - replaced + length > _limits.AddressSpace)
        {
            return Errno.ENOMEM;
        }
        bool isData = opts.Perms.Write && opts.Private && !opts.GrowsDown;
        return isData && _dataAS + length > _limits.Data ? Errno.ENOMEM : null;
    }

    // Linux's overcommit heuristic for a new mapping at [addr, addr + length): a private writable
    // one is charged (unless MAP_NORESERVE), and so is new shared anonymous memory, however it is
    // protected; a fixed mapping is charged less what the mappings it replaces were charged.
    // Mapping lock held.
    private Error? OvercommitError(in MMapOpts opts, VmaHints hints, ulong addr, ulong length)
    {
        bool charged = (hints & VmaHints.NoReserve) == 0 && (opts.Private ? opts.Perms.Write : opts.Mappable is null);
        if (!charged || length <= _options.OvercommitLimit)
        {
            return null;
        }
        ulong replaced = opts.Fixed && opts.Unmap ? AccountedBytesLocked(addr, addr + length) : 0;
        return length - replaced > _options.OvercommitLimit ? Errno.ENOMEM : null;
    }

    // The bytes of [start, end) in vmas charged against overcommit. Mapping lock held.
    private ulong AccountedBytesLocked(ulong start, ulong end)
    {
        ulong bytes = 0;
        for (var segment = _vmas.LowerBoundSegment(start); segment.IsValid && segment.Start < end; segment = segment.NextSegment())
        {
            if (segment.Value.Accounted)
            {
                bytes += Math.Min(segment.End, end) - Math.Max(segment.Start, start);
            }
        }
        return bytes;
    }

    // Splits the vma that holds `at` inside it (not at its start) in two there. Mapping lock held for writing.
    private void SplitVmaAtLocked(ulong at)
    {
        var segment = _vmas.FindSegment(at);
        if (segment.IsValid && segment.Start < at)
        {
            _vmas.Isolate(segment, Range(at, segment.End));
        }
    }

    // Chooses the address (checking the map count first).
    private (ulong Addr, Error? Error) PlaceMappingLocked(in MMapOpts opts, ulong length)
    {
        if (_vmas.Count > _options.MaxMapCount)
        {
            return (0, Errno.ENOMEM);
        }
        ulong addr;
        if (opts.Fixed)
        {
            addr = opts.Addr.Value;
            if (opts.Force)
            {
                // Special mappings (e.g. a vDSO) may lie outside the layout; only overflow is refused.
                return !Arch.IsPageAligned(addr) ? (0, Errno.EINVAL) : addr + length < addr ? (0, Errno.ENOMEM) : (addr, null);
            }
            if (addr > _layout.MaxAddress || length > _layout.MaxAddress - addr)
            {
                return (0, Errno.ENOMEM);
            }
            if (!Arch.IsPageAligned(addr))
            {
                return (0, Errno.EINVAL);
            }
            if (addr < FixedMinAddress)
            {
                // Linux refuses fixed mappings below vm.mmap_min_addr (EPERM without CAP_SYS_RAWIO).
                return (0, Errno.EPERM);
            }
            if (!opts.Unmap && !_vmas.IsEmptyRange(Range(addr, addr + length)))
            {
                return (0, Errno.EEXIST);
            }
            if (opts.Unmap && UnmapWouldExceedMapCountLocked(addr, addr + length))
            {
                return (0, Errno.ENOMEM);
            }
        }
        else
        {
            ulong hint = RaisedHint(opts.Addr.Value);
            return FindUnmappedAreaLocked(opts.Mappable is null && opts.Private, opts.Mappable, opts.Offset, hint, length, opts.Map32Bit);
        }
        return (addr, null);
    }

    // Linux's get_unmapped_area for a new (non-fixed) mapping, by mmap or by mremap's moves: huge-page
    // aligned placement for large private anonymous memory without a hint and for the files whose
    // filesystem aligns (thp_get_unmapped_area), else the ordinary search. Mapping lock held.
    private (ulong Addr, Error? Error) FindUnmappedAreaLocked(bool privateAnonymous, IMappable? mappable, ulong offset, ulong hint, ulong length, bool map32Bit)
    {
        if (TryFindHugeAlignedLocked(privateAnonymous && hint == 0, length, map32Bit, out ulong addr) ||
            TryFindFileHugeAlignedLocked(mappable, hint, length, offset, map32Bit, out addr))
        {
            return (addr, null);
        }
        return FindAvailableLocked(hint, length, map32Bit);
    }

    // Linux (6.7 and later) places a private anonymous mapping whose length is a multiple of the
    // huge page size, when no hint is given (or one inside the first page, which rounds to none),
    // at a huge-page boundary so that transparent huge pages can back it: it searches for the
    // length plus one huge page and aligns inside what it found; when the start found is aligned
    // already, a top-down address space moves it up a huge page. False when that search fails (the
    // ordinary search follows). Mapping lock held.
    private bool TryFindHugeAlignedLocked(bool privateAnonymousWithoutHint, ulong length, bool map32Bit, out ulong addr)
    {
        addr = 0;
        if (!privateAnonymousWithoutHint || (length & (HugePageSize - 1)) != 0)
        {
            return false;
        }
        (ulong found, Error? error) = FindAvailableLocked(0, length + HugePageSize, map32Bit);
        if (error is not null)
        {
            return false;
        }
        ulong misalignment = (0 - found) & (HugePageSize - 1);
        addr = misalignment == 0 && _layout.DefaultDirection == MmapDirection.TopDown ? found + HugePageSize : found + misalignment;
        return true;
    }

    // A hint below the minimum is raised to it before it is tried (Linux's round_hint_to_min).
    private ulong RaisedHint(ulong hint)
    {
        hint = Arch.PageRoundDown(hint);
        return hint != 0 && hint < _layout.MinAddress ? _layout.MinAddress : hint;
    }

    // Linux's thp_get_unmapped_area, the placement of every mapping (private or shared, by mmap or
    // by mremap's moves) of a file whose filesystem uses it (HostFileMappable.PlacesHugeAligned):
    // when [offset, offset + length) holds an aligned huge page of the file, it searches for the
    // length plus a huge page (trying the hint first) and, unless it got the hint, moves the start
    // so that address and offset agree modulo the huge page size (up a huge page, top-down, when
    // they agree already). False when that does not apply or the search fails (the ordinary
    // search follows). Mapping lock held.
    private bool TryFindFileHugeAlignedLocked(IMappable? mappable, ulong hint, ulong length, ulong offset, bool map32Bit, out ulong addr)
    {
        addr = 0;
        if (mappable is not HostFileMappable { PlacesHugeAligned: true })
        {
            return false;
        }
        ulong offsetEnd = offset + length;
        ulong alignedOffset = (offset + HugePageSize - 1) & ~(HugePageSize - 1);
        if (offsetEnd < offset || alignedOffset < offset || offsetEnd <= alignedOffset || offsetEnd - alignedOffset < HugePageSize ||
            length + HugePageSize < length)
        {
            return false;
        }
        (ulong found, Error? error) = FindAvailableLocked(hint, length + HugePageSize, map32Bit);
        if (error is not null)
        {
            return false;
        }
        if (found == hint)
        {
            addr = found;
            return true;
        }
        ulong misalignment = (offset - found) & (HugePageSize - 1);
        addr = misalignment == 0 && _layout.DefaultDirection == MmapDirection.TopDown ? found + HugePageSize : found + misalignment;
        return true;
    }

    // Faults in [start, end) of a vma (MAP_POPULATE, MAP_LOCKED, mlock) and maps it into the platform
    // address space. Returns the first failure; callers ignore it, as Linux's populate does, unless
    // RequirePlatformEffect asks otherwise. `write` says which faults to take (MADV_POPULATE_READ
    // and _WRITE choose); null takes Linux's populate's: write faults for a private writable
    // mapping (breaking copy-on-write), read faults otherwise. Mapping lock held.
    private Error? PopulateLocked(IContext ctx, ulong start, ulong end, in Vma vma, bool precommit, bool? write = null)
    {
        if (!vma.RealPerms.Any)
        {
            return null;
        }
        var at = new AccessType(Read: true, Write: write ?? (vma.Private && vma.RealPerms.Write), Execute: false);
        // A huge page at a time, so that a cancelled context stops a long populate (EINTR, the
        // prefix populated) and copies are not kept out of the active lock for all of it.
        for (ulong chunkStart = start; chunkStart < end;)
        {
            if (ctx.CancellationToken.IsCancellationRequested)
            {
                return Errno.EINTR;
            }
            (ulong next, bool ok) = Arch.HugePageRoundUp(chunkStart + 1);
            ulong chunkEnd = ok ? Math.Min(next, end) : end;
            Error? error = PopulateChunkLocked(chunkStart, chunkEnd, at, precommit);
            if (error is not null)
            {
                return error;
            }
            chunkStart = chunkEnd;
        }
        return null;
    }

    // PopulateLocked's work for one chunk: faults it in and maps it into the active address space.
    private Error? PopulateChunkLocked(ulong start, ulong end, AccessType at, bool precommit)
    {
        _activeLock.EnterWriteLock();
        try
        {
            (ulong doneEnd, Error? error) = FaultInLocked(start, end, at, ignorePermissions: false, exact: true);
            if (_addressSpace is not null)
            {
                var segment = _pmas.LowerBoundSegment(start);
                while (segment.IsValid && segment.Start < doneEnd)
                {
                    ulong s = Math.Max(segment.Start, start), e = Math.Min(segment.End, doneEnd);
                    Pma pma = segment.Value;
                    if (pma.PlatformPerms.Any)
                    {
                        error ??= _addressSpace.MapFile((Addr)s, pma.File, pma.FileRangeOf(segment.Start, Range(s, e)), pma.PlatformPerms, precommit);
                    }
                    segment = segment.NextSegment();
                }
            }
            return error;
        }
        finally
        {
            _activeLock.ExitWriteLock();
        }
    }
}
