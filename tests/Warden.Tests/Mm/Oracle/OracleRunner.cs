using System.Text;
using Warden.HostArch;
using Warden.Mm;

namespace Warden.Tests.Mm.Oracle;

/// <summary>
/// Applies one seeded sequence to two targets and compares them after every op (result and errno)
/// and every few ops and at the end (per-page state of the window and contents of accessible pages).
/// </summary>
/// <remarks>
/// The first target is the reference: the generator sees its results, and its window is the
/// canonical one. Where an address is placement policy (non-fixed mmap, mremap moving without
/// MREMAP_FIXED) only success, errno and length are compared, unless either side kept the address it
/// was given (the hint, or the old address of an mremap): that is semantics. A kernel target then
/// moves its mapping to where the other side put it, or, when neither side places inside its window
/// (kernel against kernel), to the highest free gap of the op area.
/// </remarks>
public sealed class OracleRunner
{
    private readonly IOracleTarget _reference;
    private readonly IOracleTarget _subject;
    private readonly OracleWindow _canonical;

    private OracleRunner(IOracleTarget reference, IOracleTarget subject)
    {
        _reference = reference;
        _subject = subject;
        _canonical = reference.Window;
    }

    /// <summary>The ops a run applied (all of them, or up to and including the one that failed).</summary>
    public List<OracleOp> Ops { get; } = [];

    /// <summary>
    /// Runs <paramref name="opCount"/> ops of sequence <paramref name="seed"/>; returns <c>null</c> if
    /// the targets agreed throughout, otherwise a report (seed, op, the ops so far, both maps).
    /// </summary>
    /// <remarks>
    /// With <c>wide</c> the sequence has the wider op kinds (<see cref="OracleOpGenerator"/>'s
    /// <c>wide</c>), and every snapshot compares the vma lists (bounds and VmFlags from smaps) too:
    /// both targets must serve them (<see cref="IOracleTarget.CanLockAll"/>).
    /// </remarks>
    public static string? Run(int seed, int opCount, IOracleTarget reference, IOracleTarget subject, ulong initialBrk = 0, int snapshotEvery = 20, bool wide = false) =>
        Run(seed, opCount, reference, subject, out _, initialBrk, snapshotEvery, wide);

    public static string? Run(int seed, int opCount, IOracleTarget reference, IOracleTarget subject, out List<OracleOp> ops, ulong initialBrk = 0, int snapshotEvery = 20, bool wide = false)
    {
        var runner = new OracleRunner(reference, subject) { _wide = wide };
        ops = runner.Ops;
        return runner.RunSequence(seed, opCount, initialBrk, snapshotEvery);
    }

    private bool _wide;
    private bool _forkLive;

    /// <summary>
    /// Applies <paramref name="ops"/> as they are (no generator) and compares after each op and, at the
    /// end, the whole state: the first problem as "op i: problem", or <c>null</c>. For minimising a
    /// failing sequence (<see cref="OracleMinimizer"/>); a harness failure counts as no problem.
    /// </summary>
    public static string? Replay(IReadOnlyList<OracleOp> ops, IOracleTarget reference, IOracleTarget subject, bool wide)
    {
        var runner = new OracleRunner(reference, subject) { _wide = wide };
        try
        {
            for (int i = 0; i < ops.Count; i++)
            {
                runner.Ops.Add(ops[i]);
                (string? problem, _, _) = runner.Step(ops[i]);
                if (problem is not null)
                {
                    return $"op {i}: {problem}";
                }
            }
            (string? end, _) = runner.CompareState(contents: true);
            end ??= runner._forkLive ? runner.CompareForkedPages() : null;
            return end is null ? null : $"end: {end}";
        }
        catch (InvalidOperationException)
        {
            return null;
        }
        finally
        {
            reference.DiscardPending();
            subject.DiscardPending();
        }
    }

    private string? RunSequence(int seed, int opCount, ulong initialBrk, int snapshotEvery)
    {
        var generator = new OracleOpGenerator(seed, _canonical, initialBrk, _wide, _reference.CanLockAll && _subject.CanLockAll);
        for (int i = 0; i < opCount; i++)
        {
            OracleOp op = generator.Next();
            Ops.Add(op);
            string? problem;
            long result;
            int errno;
            try
            {
                (problem, result, errno) = Step(op);
            }
            catch (Exception e) when (e is InvalidOperationException)
            {
                _reference.DiscardPending();
                _subject.DiscardPending();
                return Report(seed, i, "the harness failed: " + e);
            }
            if (problem is not null)
            {
                _reference.DiscardPending();
                _subject.DiscardPending();
                return Report(seed, i, problem);
            }
            generator.Observe(op, result, errno);
            TrackPagedOut(op, result, errno);
            if ((i + 1) % snapshotEvery == 0 || i == opCount - 1)
            {
                // Contents cost far more than states: every fifth snapshot and the last one compare them.
                bool contents = (i + 1) % (snapshotEvery * 5) == 0 || i == opCount - 1;
                (problem, IReadOnlyList<PageState> snapshot) = CompareState(contents);
                if (problem is not null)
                {
                    return Report(seed, i, problem);
                }
                generator.Resync(snapshot);
            }
        }
        // A fork still live at the end is compared too.
        string? forked = _forkLive ? CompareForkedPages() : null;
        return forked is null ? null : Report(seed, opCount - 1, forked);
    }

    private (string? Problem, long Result, int Errno) Step(OracleOp op)
    {
        switch (op)
        {
            case OracleOp.Mmap m when m.PlacedByPolicy && (m.Flags & LinuxMman.MAP_32BIT) != 0:
                return Low32(m);
            case OracleOp.Mmap m when m.PlacedByPolicy && _subject.PlacesInWindow && !_reference.PlacesInWindow:
            {
                // Let Warden choose first and hand its choice to the kernel as the hint: the kernel
                // takes a free hint as is, so the mapping is made where it goes natively (a mapping
                // moved there afterwards would keep the offset of where the kernel first put it, and
                // then not merge with its neighbours as a native one would).
                var b = _subject.Mmap(To(_subject, m.Addr), m.Len, m.Prot, m.Flags);
                ulong hint = b.Errno == 0 ? To(_reference, From(_subject, (ulong)b.Result)) : To(_reference, m.Addr);
                var a = _reference.Mmap(hint, m.Len, m.Prot, m.Flags);
                return Placement(a, b, Arch.PageRoundDown(m.Addr), KernelTargetBase.AlignedLength(m.Len) ?? 0, 0, 0);
            }
            case OracleOp.Mmap m:
            {
                var a = _reference.Mmap(To(_reference, m.Addr), m.Len, m.Prot, m.Flags);
                var b = _subject.Mmap(To(_subject, m.Addr), m.Len, m.Prot, m.Flags);
                return m.PlacedByPolicy
                    ? Placement(a, b, Arch.PageRoundDown(m.Addr), KernelTargetBase.AlignedLength(m.Len) ?? 0, 0, 0)
                    : Same(a, b);
            }
            case OracleOp.Munmap u:
                return Same(_reference.Munmap(To(_reference, u.Addr), u.Len), _subject.Munmap(To(_subject, u.Addr), u.Len));
            case OracleOp.Mprotect p:
                return Same(_reference.Mprotect(To(_reference, p.Addr), p.Len, p.Prot), _subject.Mprotect(To(_subject, p.Addr), p.Len, p.Prot));
            case OracleOp.Madvise d:
                return Same(_reference.Madvise(To(_reference, d.Addr), d.Len, d.Advice), _subject.Madvise(To(_subject, d.Addr), d.Len, d.Advice));
            case OracleOp.Mremap r when r.PlacedByPolicy && _subject.PlacesInWindow && !_reference.PlacesInWindow:
                return MremapWhereTheSubjectPlaced(r);
            case OracleOp.Mremap r:
            {
                var a = _reference.Mremap(To(_reference, r.Old), r.OldLen, r.NewLen, r.Flags, To(_reference, r.NewAddr));
                var b = _subject.Mremap(To(_subject, r.Old), r.OldLen, r.NewLen, r.Flags, To(_subject, r.NewAddr));
                return r.PlacedByPolicy
                    ? Placement(a, b, r.Old, KernelTargetBase.AlignedLength(r.NewLen) ?? 0, r.Old, KernelTargetBase.AlignedLength(r.OldLen) ?? 0)
                    : Same(a, b);
            }
            case OracleOp.Brk k:
            {
                ulong a = _reference.Brk(k.Addr);
                ulong b = _subject.Brk(k.Addr);
                return (a == b ? null : $"brk returned 0x{a:x} on {_reference.Name} but 0x{b:x} on {_subject.Name}", (long)a, 0);
            }
            case OracleOp.Mincore c:
                return CompareMincore(c);
            case OracleOp.Mlock l:
                return Same(_reference.Mlock(To(_reference, l.Addr), l.Len, l.Flags), _subject.Mlock(To(_subject, l.Addr), l.Len, l.Flags));
            case OracleOp.Munlock l:
                return Same(_reference.Munlock(To(_reference, l.Addr), l.Len), _subject.Munlock(To(_subject, l.Addr), l.Len));
            case OracleOp.Mlockall l:
                return Same(_reference.Mlockall(l.Flags), _subject.Mlockall(l.Flags));
            case OracleOp.Munlockall:
                return Same(_reference.Munlockall(), _subject.Munlockall());
            case OracleOp.Fork f:
            {
                string? ended = _forkLive ? CompareForkedPages() : null;
                if (ended is not null)
                {
                    return (ended, 0, 0);
                }
                byte[] data = f.ChildWrite.Data();
                var a = _reference.Fork(To(_reference, f.ChildWrite.Addr), data);
                var b = _subject.Fork(To(_subject, f.ChildWrite.Addr), data);
                _forkLive = true;
                return (a == b ? null : $"fork: the child of {_reference.Name} wrote {a.Count} (errno {a.Errno}), of {_subject.Name} {b.Count} (errno {b.Errno})", a.Count, a.Errno);
            }
            case OracleOp.ForkEnd:
                return (_forkLive ? CompareForkedPages() : null, 0, 0);
            case OracleOp.Write w:
            {
                byte[] data = w.Data();
                var a = _reference.Write(To(_reference, w.Addr), data);
                var b = _subject.Write(To(_subject, w.Addr), data);
                return (a == b ? null : $"write: {_reference.Name} wrote {a.Count} (errno {a.Errno}), {_subject.Name} {b.Count} (errno {b.Errno})", a.Count, a.Errno);
            }
            case OracleOp.Read r:
            {
                var bufferA = new byte[r.Len];
                var bufferB = new byte[r.Len];
                var a = _reference.Read(To(_reference, r.Addr), bufferA);
                var b = _subject.Read(To(_subject, r.Addr), bufferB);
                if (a != b)
                {
                    return ($"read: {_reference.Name} read {a.Count} (errno {a.Errno}), {_subject.Name} {b.Count} (errno {b.Errno})", a.Count, a.Errno);
                }
                int diff = FirstDifference(bufferA.AsSpan(0, (int)a.Count), bufferB.AsSpan(0, (int)b.Count));
                return (diff < 0 ? null : $"read: the bytes differ from offset {diff} (0x{r.Addr + (ulong)diff:x}): {_reference.Name} {bufferA[diff]:x2}, {_subject.Name} {bufferB[diff]:x2}", a.Count, a.Errno);
            }
            default:
                throw new InvalidOperationException($"Unknown op {op}.");
        }
    }

    /// <summary>Ends the forked children and compares their pages; the problem, or <see langword="null"/>.</summary>
    private string? CompareForkedPages()
    {
        _forkLive = false;
        ulong[] a = _reference.EndFork();
        ulong[] b = _subject.EndFork();
        int i = 0;
        foreach ((ulong start, ulong end) in _canonical.SnapshotRegions)
        {
            for (ulong page = start; page < end; page += Arch.PageSize, i++)
            {
                if (a[i] != b[i])
                {
                    static string Text(ulong digest) => digest == 0 ? "nothing mapped" : $"contents {digest:x16}";
                    return $"fork: the children's page 0x{page:x} differs: {_reference.Name} {Text(a[i])}, {_subject.Name} {Text(b[i])}";
                }
            }
        }
        return null;
    }

    // The most pages a mincore op's vector holds: the op area's ranges need far fewer; a longer
    // (wrapping or huge) length fails before the vector is written.
    private const ulong MaxMincorePages = OracleWindow.DefaultSize / Arch.PageSize;

    private (string?, long, int) CompareMincore(OracleOp.Mincore c)
    {
        ulong pages = (KernelTargetBase.AlignedLength(c.Len) ?? ulong.MaxValue) / Arch.PageSize;
        int size = pages <= MaxMincorePages ? (int)pages : 0;
        var vectorA = new byte[size];
        var vectorB = new byte[size];
        var a = _reference.Mincore(To(_reference, c.Addr), c.Len, vectorA);
        var b = _subject.Mincore(To(_subject, c.Addr), c.Len, vectorB);
        (string? problem, long result, int errno) = Same(a, b);
        if (problem is not null || a.Errno != 0)
        {
            return (problem, result, errno);
        }
        int diff = -1;
        bool kernelAgainstWarden = !_reference.PlacesInWindow && _subject.PlacesInWindow;
        for (int i = 0; i < size && diff < 0; i++)
        {
            if (vectorA[i] != vectorB[i] && !(kernelAgainstWarden && KnownDivergences.AcceptedMincoreByte(vectorA[i], vectorB[i], IsShared(c.Addr + ((ulong)i * Arch.PageSize)), _pagedOut.Contains(c.Addr + ((ulong)i * Arch.PageSize)))))
            {
                diff = i;
            }
        }
        return diff < 0
            ? (null, result, errno)
            : ($"mincore: the vectors differ from page {diff} (0x{c.Addr + ((ulong)diff * Arch.PageSize):x}): {_reference.Name} {vectorA[diff]}, {_subject.Name} {vectorB[diff]}", result, errno);
    }

    // Canonical pages a successful MADV_PAGEOUT covered and nothing has written or remapped since:
    // the kernel may have dropped their clean shared memory (see KnownDivergences.AcceptedMincoreByte).
    private readonly HashSet<ulong> _pagedOut = [];

    private void TrackPagedOut(OracleOp op, long result, int errno)
    {
        switch (op)
        {
            case OracleOp.Madvise { Advice: LinuxMman.MADV_PAGEOUT } d when errno is 0 or ENOMEM:
                for (ulong page = Arch.PageRoundDown(d.Addr); page < d.Addr + d.Len && _pagedOut.Count < 1 << 16; page += Arch.PageSize)
                {
                    _pagedOut.Add(page);
                }
                break;
            case OracleOp.Madvise { Advice: LinuxMman.MADV_PAGEOUT } d when errno == EINVAL && Arch.IsPageAligned(d.Addr) && d.Addr + d.Len >= d.Addr:
                TrackPagedOutBeforeLocked(d.Addr, d.Addr + d.Len);
                break;
            case OracleOp.Write w:
                _pagedOut.RemoveWhere(page => page + Arch.PageSize > w.Addr && page < w.Addr + w.Len);
                break;
            case OracleOp.Munmap u:
                _pagedOut.RemoveWhere(page => page + Arch.PageSize > u.Addr && page < u.Addr + u.Len);
                break;
            case OracleOp.Mmap m when errno == 0:
                _pagedOut.RemoveWhere(page => page + Arch.PageSize > (ulong)result && page < (ulong)result + m.Len);
                break;
            case OracleOp.Mremap r when errno == 0:
                TrackPagedOutRemap(r, (ulong)result);
                break;
            case OracleOp.Madvise { Advice: LinuxMman.MADV_POPULATE_WRITE or LinuxMman.MADV_REMOVE } d:
                _pagedOut.RemoveWhere(page => page + Arch.PageSize > d.Addr && page < d.Addr + d.Len);
                break;
        }
    }

    // MADV_PAGEOUT stops with EINVAL at the first locked vma, after paging out the vmas before it.
    private void TrackPagedOutBeforeLocked(ulong start, ulong end)
    {
        foreach (VmaState vma in _reference.Vmas().Select(v => Canonical(_reference, v)))
        {
            if (vma.End <= start || vma.Start >= end)
            {
                continue;
            }
            if (vma.Flags.Split(' ').Contains("lo"))
            {
                return;
            }
            for (ulong page = Math.Max(vma.Start, start); page < Math.Min(vma.End, end) && _pagedOut.Count < 1 << 16; page += Arch.PageSize)
            {
                _pagedOut.Add(page);
            }
        }
    }

    private const int EINVAL = 22;

    // A successful mremap takes the pages it keeps to their new place: a shared object's page that
    // was paged out is still that page there (an old length of 0 maps the same pages a second time).
    private void TrackPagedOutRemap(OracleOp.Mremap r, ulong result)
    {
        ulong oldLen = KernelTargetBase.AlignedLength(r.OldLen) ?? 0;
        ulong newLen = KernelTargetBase.AlignedLength(r.NewLen) ?? 0;
        ulong kept = oldLen == 0 ? newLen : Math.Min(oldLen, newLen);
        ulong old = Arch.PageRoundDown(r.Old);
        List<ulong> carried = [.. _pagedOut.Where(page => page >= old && page < old + kept).Select(page => page - old)];
        if (oldLen != 0)
        {
            _pagedOut.RemoveWhere(page => page >= old && page < old + oldLen);
        }
        _pagedOut.RemoveWhere(page => page >= result && page < result + newLen);
        foreach (ulong offset in carried)
        {
            _pagedOut.Add(result + offset);
        }
    }

    /// <summary>Whether the reference's page at canonical <paramref name="page"/> is in a shared mapping.</summary>
    private bool IsShared(ulong page)
    {
        foreach (PageState p in _reference.Snapshot())
        {
            if (From(_reference, p.Page) == page)
            {
                return p.Mapped && p.Shared;
            }
        }
        return false;
    }

    /// <summary>The vma lists of the two targets: the same bounds and compared VmFlags, vma by vma.</summary>
    private string? CompareVmas()
    {
        IReadOnlyList<VmaState> a = _reference.Vmas();
        IReadOnlyList<VmaState> b = _subject.Vmas();
        for (int i = 0; i < Math.Max(a.Count, b.Count); i++)
        {
            VmaState? va = i < a.Count ? Canonical(_reference, a[i]) : null;
            VmaState? vb = i < b.Count ? Canonical(_subject, b[i]) : null;
            if (va != vb)
            {
                return $"vma {i} differs: {_reference.Name} {va?.ToString() ?? "(none)"}, {_subject.Name} {vb?.ToString() ?? "(none)"}";
            }
        }
        return null;
    }

    private VmaState Canonical(IOracleTarget target, VmaState vma) =>
        vma with { Start = From(target, vma.Start), End = From(target, vma.End) };

    /// <summary>
    /// A moving mremap whose address the kernel chooses, against a target that chooses in its window:
    /// Warden goes first, and when it moved the mapping the kernel is moved to the same place with
    /// MREMAP_FIXED, as natively as the mmap hint above. (Moved outside the window and relocated
    /// afterwards, the kernel's vma could end up unmerged where a native move would have merged: a
    /// false positive of long runs.) Whether the kernel would have grown in place instead is asked
    /// first, without MREMAP_MAYMOVE: success means it keeps the address, and the two are compared.
    /// </summary>
    private (string?, long, int) MremapWhereTheSubjectPlaced(OracleOp.Mremap r)
    {
        ulong oldLen = KernelTargetBase.AlignedLength(r.OldLen) ?? 0;
        ulong newLen = KernelTargetBase.AlignedLength(r.NewLen) ?? 0;
        var b = _subject.Mremap(To(_subject, r.Old), r.OldLen, r.NewLen, r.Flags, To(_subject, r.NewAddr));
        ulong moved = b.Errno == 0 ? From(_subject, (ulong)b.Result) : 0;
        bool dontUnmap = (r.Flags & LinuxMman.MREMAP_DONTUNMAP) != 0;
        (long Result, int Errno) a;
        if (moved == 0 || moved == r.Old)
        {
            VmaState? old = dontUnmap && b.Errno != 0 ? VmaAt(_reference, r.Old) : null;
            a = _reference.Mremap(To(_reference, r.Old), r.OldLen, r.NewLen, r.Flags, To(_reference, r.NewAddr));
            (string? problem, long result, int errno) = Placement(a, b, r.Old, newLen, r.Old, oldLen);
            if (old is VmaState before && a.Errno == 0 && errno == ENOMEM)
            {
                RelockAfterUndoneDontUnmap(before);
            }
            return (problem, result, errno);
        }
        a = dontUnmap || oldLen == 0 || newLen <= oldLen
            ? (-1, ENOMEM)
            : _reference.Mremap(To(_reference, r.Old), r.OldLen, r.NewLen, r.Flags & ~LinuxMman.MREMAP_MAYMOVE, 0);
        if (a.Errno == ENOMEM)
        {
            a = _reference.Mremap(To(_reference, r.Old), r.OldLen, r.NewLen, r.Flags | LinuxMman.MREMAP_FIXED, To(_reference, moved));
        }
        else if (a.Errno != 0)
        {
            // Some other answer to the in-place question: ask the original call, as the kernel would answer it.
            a = _reference.Mremap(To(_reference, r.Old), r.OldLen, r.NewLen, r.Flags, To(_reference, r.NewAddr));
        }
        return Placement(a, b, r.Old, newLen, r.Old, oldLen);
    }

    /// <summary>
    /// A MREMAP_DONTUNMAP move clears VM_LOCKED and VM_LOCKONFAULT on the whole old vma, not just the
    /// moved range: undoing the kernel's move (Warden had no room in its window) moves the pages
    /// back but leaves the rest of that vma unlocked, which a native ENOMEM would not. Locking the
    /// vma again as it was restores the state (its pages are resident already, or it locks on fault).
    /// </summary>
    private void RelockAfterUndoneDontUnmap(VmaState before)
    {
        string[] flags = before.Flags.Split(' ');
        if (!flags.Contains("lo"))
        {
            return;
        }
        int onFault = flags.Contains("lf") ? MlockOnFault : 0;
        var relocked = _reference.Mlock(To(_reference, before.Start), before.End - before.Start, onFault);
        if (relocked.Errno != 0)
        {
            throw new InvalidOperationException($"{_reference.Name}: locking {before} again after an undone MREMAP_DONTUNMAP failed (errno {relocked.Errno}).");
        }
    }

    private const int MlockOnFault = 1;

    /// <summary>The vma of <paramref name="target"/> holding canonical address <paramref name="addr"/>, in canonical addresses.</summary>
    private VmaState? VmaAt(IOracleTarget target, ulong addr)
    {
        foreach (VmaState vma in target.Vmas())
        {
            VmaState canonical = Canonical(target, vma);
            if (canonical.Start <= addr && addr < canonical.End)
            {
                return canonical;
            }
        }
        return null;
    }

    /// <summary>
    /// A MAP_32BIT mmap placed by policy: both sides place it below 2 GiB, outside the window, and
    /// unmap it at once. The same errno, and on success the same address (both search the same empty
    /// second GiB bottom-up), which must lie below 2 GiB. A hint in the window must be ignored.
    /// </summary>
    private (string?, long, int) Low32(OracleOp.Mmap m)
    {
        var a = _reference.MmapLow32(To(_reference, m.Addr), m.Len, m.Prot, m.Flags);
        var b = _subject.MmapLow32(To(_subject, m.Addr), m.Len, m.Prot, m.Flags);
        if (a.Errno != b.Errno || (a.Errno == 0 && a.Result != b.Result))
        {
            return ($"MAP_32BIT: {Outcome(_reference, a)} but {Outcome(_subject, b)}", a.Result, a.Errno);
        }
        ulong len = KernelTargetBase.AlignedLength(m.Len) ?? 0;
        if (a.Errno == 0 && (ulong)a.Result + len > Low32Limit)
        {
            return ($"MAP_32BIT: both returned 0x{a.Result:x}, which does not end below 2 GiB", a.Result, a.Errno);
        }
        // Unmapped already: nothing for the model to note.
        return (null, -1, a.Errno == 0 ? ENOMEM : a.Errno);
    }

    private const ulong Low32Limit = 0x8000_0000;

    /// <summary>Fixed-address results: the same errno, and on success the same (canonical) value.</summary>
    private (string?, long, int) Same((long Result, int Errno) a, (long Result, int Errno) b)
    {
        long ra = a.Errno == 0 ? (long)From(_reference, (ulong)a.Result) : a.Result;
        long rb = b.Errno == 0 ? (long)From(_subject, (ulong)b.Result) : b.Result;
        if (a.Errno != b.Errno || (a.Errno == 0 && ra != rb))
        {
            return ($"{Outcome(_reference, a)} but {Outcome(_subject, b)}", ra, a.Errno);
        }
        return (null, ra, a.Errno);
    }

    private (string?, long, int) Placement((long Result, int Errno) a, (long Result, int Errno) b, ulong kept, ulong len, ulong undoTo, ulong undoLen)
    {
        if (a.Errno == 0 && b.Errno == ENOMEM && !_reference.PlacesInWindow && _subject.PlacesInWindow &&
            !_canonical.Contains(From(_reference, (ulong)a.Result), len) && HighestGap(_subject, len + WindowFullSlack) == 0)
        {
            // The kernel found room in the whole address space, Warden none in its small window:
            // a limit of the test window, not a difference. Undo the kernel's call and go on.
            _reference.UndoPending(To(_reference, undoTo), undoLen);
            return (null, -1, ENOMEM);
        }
        if (a.Errno is not (0 or ENOMEM) && b.Errno == ENOMEM && !_reference.PlacesInWindow && _subject.PlacesInWindow &&
            HighestGap(_subject, len + WindowFullSlack) == 0)
        {
            // Linux chooses the address before it checks the type or the file: the kernel found
            // room (and then refused), Warden none in its small window, so its ENOMEM came first.
            return (null, a.Result, a.Errno);
        }
        if (a.Errno != b.Errno)
        {
            return ($"{Outcome(_reference, a)} but {Outcome(_subject, b)}", a.Result, a.Errno);
        }
        if (a.Errno != 0)
        {
            return (null, a.Result, a.Errno);
        }
        ulong ra = From(_reference, (ulong)a.Result);
        ulong rb = From(_subject, (ulong)b.Result);
        if (IsSemantic(_reference, ra, kept, len) || IsSemantic(_subject, rb, kept, len))
        {
            return ra == rb ? (null, (long)ra, 0) : ($"{Outcome(_reference, a)} but {Outcome(_subject, b)} (an address one side kept)", (long)ra, 0);
        }
        ulong final = _reference.PlacesInWindow ? ra : _subject.PlacesInWindow ? rb : HighestGap(len);
        if (final == 0 && !_reference.PlacesInWindow && !_subject.PlacesInWindow)
        {
            // Kernel against kernel, and no room left in the window: both found room outside it, and
            // neither can bring it in. A limit of the window: undo both calls and go on.
            _reference.UndoPending(To(_reference, undoTo), undoLen);
            _subject.UndoPending(To(_subject, undoTo), undoLen);
            return (null, -1, ENOMEM);
        }
        if (final == 0 || !_canonical.InOpArea(final, len))
        {
            return ($"placement: {Outcome(_reference, a)}, {Outcome(_subject, b)}: 0x{final:x} is not in the op area", (long)ra, 0);
        }
        if (!_reference.PlacesInWindow)
        {
            _reference.Relocate((ulong)a.Result, len, To(_reference, final));
        }
        if (!_subject.PlacesInWindow)
        {
            _subject.Relocate((ulong)b.Result, len, To(_subject, final));
        }
        return (null, (long)final, 0);
    }

    /// <summary>Whether a placed result is semantics rather than policy: a kernel that stayed in its window, or an address the call named.</summary>
    private bool IsSemantic(IOracleTarget target, ulong result, ulong kept, ulong len) =>
        target.PlacesInWindow ? result == kept : _canonical.Contains(result, len);

    private const int ENOMEM = 12;


    // Warden keeps a 1 MiB guard gap below grows-down mappings when placing; a window is "full" for
    // a length when not even that much more is free in one piece.
    private const ulong WindowFullSlack = 1UL << 20;

    private ulong HighestGap(ulong len) => HighestGap(_reference, len);

    /// <summary>The highest free range of <paramref name="len"/> bytes in the op area (a top-down policy for kernel-only runs).</summary>
    private ulong HighestGap(IOracleTarget target, ulong len)
    {
        IReadOnlyList<PageState> pages = target.Snapshot();
        ulong need = len / Arch.PageSize;
        ulong free = 0;
        for (int i = pages.Count - 1; i >= 0; i--)
        {
            PageState p = pages[i];
            ulong page = From(target, p.Page);
            if (page < _canonical.OpStart || page >= _canonical.OpEnd)
            {
                free = 0;
                continue;
            }
            free = p.Mapped ? 0 : free + 1;
            if (free == need)
            {
                return page;
            }
        }
        return 0;
    }

    private (string? Problem, IReadOnlyList<PageState> Snapshot) CompareState(bool contents)
    {
        IReadOnlyList<PageState> a = _reference.Snapshot();
        IReadOnlyList<PageState> b = _subject.Snapshot();
        var problems = new StringBuilder();
        int differing = 0;
        for (int i = 0; i < a.Count; i++)
        {
            if (a[i].Key != b[i].Key && differing++ < 8)
            {
                problems.Append($"  page 0x{From(_reference, a[i].Page):x}: {_reference.Name} {a[i].PermsText}, {_subject.Name} {b[i].PermsText}\n");
            }
        }
        if (differing > 0)
        {
            return ($"{differing} pages differ in state:\n{problems}", a);
        }
        // Kernel against kernel, vmas moved in from outside the window can be merged differently on
        // the two sides (they had different neighbours out there): the lists are compared against Warden only.
        if (_wide && _subject.PlacesInWindow && CompareVmas() is { } vmaProblem)
        {
            return (vmaProblem, a);
        }
        if (!contents)
        {
            return (null, a);
        }
        for (int i = 0; i < a.Count; i++)
        {
            if (!a[i].AnyAccess)
            {
                continue;
            }
            // Whole runs of accessible pages are read at once; a run where either side cannot read
            // some page is compared page by page.
            int run = 1;
            while (i + run < a.Count && a[i + run].AnyAccess && a[i + run].Page == a[i].Page + ((ulong)run * Arch.PageSize))
            {
                run++;
            }
            if (run > 1)
            {
                var runA = new byte[run * (int)Arch.PageSize];
                var runB = new byte[runA.Length];
                if (_reference.TryReadPages(a[i].Page, runA) && _subject.TryReadPages(b[i].Page, runB))
                {
                    int at = FirstDifference(runA, runB);
                    if (at >= 0)
                    {
                        int page = at / (int)Arch.PageSize;
                        int offset = at % (int)Arch.PageSize;
                        problems.Append($"  page 0x{From(_reference, a[i + page].Page):x} ({a[i + page].PermsText}) differs from byte {offset}: {_reference.Name} {runA[at]:x2}, {_subject.Name} {runB[at]:x2}\n");
                        differing++;
                    }
                    i += run - 1;
                    continue;
                }
            }
            // A page can be mapped and still fault (a shared anonymous mapping grown past its object's
            // end): both sides must then refuse it.
            byte[]? ca = _reference.PageContents(a[i].Page);
            byte[]? cb = _subject.PageContents(b[i].Page);
            if (ca is null != cb is null && differing++ < 8)
            {
                problems.Append($"  page 0x{From(_reference, a[i].Page):x} ({a[i].PermsText}) can be read on {(ca is null ? _subject.Name : _reference.Name)} only\n");
                continue;
            }
            if (ca is null || cb is null)
            {
                continue;
            }
            int diff = FirstDifference(ca, cb);
            if (diff >= 0 && differing++ < 8)
            {
                problems.Append($"  page 0x{From(_reference, a[i].Page):x} ({a[i].PermsText}) differs from byte {diff}: {_reference.Name} {ca[diff]:x2}, {_subject.Name} {cb[diff]:x2}\n");
            }
        }
        return (differing > 0 ? $"{differing} pages differ in contents:\n{problems}" : null, a);
    }

    private string Report(int seed, int index, string problem)
    {
        var text = new StringBuilder();
        text.Append($"Oracle mismatch: seed {seed}, op {index}: {Ops[index]}\n{problem}\n");
        text.Append("Ops:\n").Append(OracleOp.ListText(Ops, index));
        text.Append($"{_reference.Name} maps (window):\n{Safe(_reference.WindowMapsText)}");
        text.Append($"{_subject.Name} maps (window):\n{Safe(_subject.WindowMapsText)}");
        if (_wide)
        {
            text.Append($"{_reference.Name} vmas:\n{Safe(() => VmasText(_reference))}");
            text.Append($"{_subject.Name} vmas:\n{Safe(() => VmasText(_subject))}");
        }
        return text.ToString();
    }

    private static string VmasText(IOracleTarget target) => string.Concat(target.Vmas().Select(v => $"  {v}\n"));

    private static string Safe(Func<string> text)
    {
        try
        {
            return text();
        }
        catch (Exception e) when (e is InvalidOperationException or IOException)
        {
            return $"(unavailable: {e.Message})\n";
        }
    }

    private static string Outcome(IOracleTarget target, (long Result, int Errno) r) =>
        r.Errno == 0 ? $"{target.Name} returned 0x{r.Result:x}" : $"{target.Name} failed with {ErrnoName(r.Errno)}";

    private static string ErrnoName(int errno) => Warden.Errors.Errno.TryFromNumber(errno, out var e) ? e.Name : errno.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private ulong To(IOracleTarget target, ulong addr) => target.Window.Translate(addr, _canonical);

    private ulong From(IOracleTarget target, ulong addr) => _canonical.Translate(addr, target.Window);

    private static int FirstDifference(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        int common = a.CommonPrefixLength(b);
        return common == a.Length && common == b.Length ? -1 : common;
    }
}
