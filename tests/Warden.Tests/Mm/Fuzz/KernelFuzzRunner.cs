using System.Globalization;
using System.Text;
using Warden.HostArch;
using static Warden.HostArch.LinuxMman;

namespace Warden.Tests.Mm.Fuzz;

/// <summary>What one seed of the kernel fuzzer did.</summary>
public sealed class KernelFuzzResult
{
    /// <summary>The first difference (or Warden exception), in full; <see langword="null"/> if none.</summary>
    public string? Failure { get; set; }

    /// <summary>Calls sent to both sides.</summary>
    public int Sent { get; set; }

    /// <summary>Calls not sent, by reason (<see cref="KernelFuzzGuard"/>).</summary>
    public Dictionary<string, int> Skipped { get; } = [];

    /// <summary>Known differences seen, by name (<see cref="KernelFuzzKnownDifferences"/>).</summary>
    public Dictionary<string, int> Known { get; } = [];

    /// <summary>The calls sent, in order (for <see cref="KernelFuzzRunner.Shrink"/>).</summary>
    public List<FuzzCall> Calls { get; } = [];

    /// <summary>Set when a known difference left the two sides apart and the seed ended there.</summary>
    public string? EndedEarly { get; set; }
}

/// <summary>
/// Runs one seed of the raw-argument fuzzer: the same calls to a <see cref="FuzzChild"/> (the real
/// kernel) and to its <see cref="WardenMirror"/>, results, errnos, placements and mincore vectors
/// compared exactly, and every <see cref="MapsEvery"/> calls (and at the end) the maps texts and
/// Warden's invariants. Warden throwing is a failure.
/// </summary>
public static class KernelFuzzRunner
{
    /// <summary>How often (in calls) the maps are compared.</summary>
    public const int MapsEvery = 50;

    private const int History = 12;
    private const ulong Page = Arch.PageSize;

    /// <summary>vm.mmap_min_addr of this machine: below it MAP_FIXED needs CAP_SYS_RAWIO (EPERM).</summary>
    public static ulong DacMmapMinAddr { get; } =
        ulong.Parse(File.ReadAllText("/proc/sys/vm/mmap_min_addr").Trim(), CultureInfo.InvariantCulture);

    /// <summary>
    /// The kernel's own mmap_min_addr: the higher of vm.mmap_min_addr and CONFIG_LSM_MMAP_MIN_ADDR
    /// (65536 by default, and on this machine: a hint below it is raised to it, and no search goes
    /// below it, though MAP_FIXED may): the mirror layout's MinAddress, with <see cref="DacMmapMinAddr"/> its
    /// FixedMinAddress.
    /// </summary>
    public static ulong MmapMinAddr { get; } = Math.Max(DacMmapMinAddr, 0x1_0000);

    /// <summary>Runs <paramref name="calls"/> calls of <paramref name="seed"/>, as root or (if not <paramref name="privileged"/>) as nobody.</summary>
    public static KernelFuzzResult Run(int seed, int calls, bool privileged) => Run(seed, calls, privileged, replay: null);

    /// <summary>
    /// Sends exactly <paramref name="calls"/> (a recorded <see cref="KernelFuzzResult.Calls"/>, or
    /// part of one) to a fresh child and mirror; the maps are compared after every call.
    /// </summary>
    public static KernelFuzzResult Replay(IReadOnlyList<FuzzCall> calls, bool privileged) => Run(0, calls.Count, privileged, calls);

    /// <summary>
    /// Shrinks a failing sequence (delta debugging: drops ever smaller chunks while some failure
    /// remains) to a short one that still fails; returns it with its failure.
    /// </summary>
    public static (IReadOnlyList<FuzzCall> Calls, string Failure) Shrink(IReadOnlyList<FuzzCall> calls, bool privileged)
    {
        var current = calls.ToList();
        string failure = Replay(current, privileged).Failure ?? "(the sequence no longer fails on its own)";
        for (int chunk = Math.Max(1, current.Count / 2); chunk >= 1; chunk /= 2)
        {
            for (int start = 0; start < current.Count;)
            {
                var candidate = current.Take(start).Concat(current.Skip(start + chunk)).ToList();
                string? f = candidate.Count == 0 ? null : Replay(candidate, privileged).Failure;
                if (f is not null)
                {
                    current = candidate;
                    failure = f;
                }
                else
                {
                    start += chunk;
                }
            }
        }
        return (current, failure);
    }

    private static KernelFuzzResult Run(int seed, int calls, bool privileged, IReadOnlyList<FuzzCall>? replay)
    {
        string dir = Directory.CreateTempSubdirectory("warden-kfuzz-").FullName;
        try
        {
            return Run(seed, calls, privileged, Files(dir), replay);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static IReadOnlyList<FuzzFile> Files(string dir)
    {
        string Make(string name, int length)
        {
            string path = Path.Combine(dir, name);
            var bytes = new byte[length];
            for (int i = 0; i < bytes.Length; i++)
            {
                bytes[i] = (byte)(i * 7 + 1);
            }
            File.WriteAllBytes(path, bytes);
            return path;
        }
        string empty = Make("empty", 0), one = Make("one-page", (int)Page), more = Make("three-and-a-half-pages", (int)(Page * 7 / 2));
        return
        [
            new FuzzFile(3, empty, FileAccess.ReadWrite),
            new FuzzFile(4, one, FileAccess.Read),
            new FuzzFile(5, more, FileAccess.ReadWrite),
            new FuzzFile(6, more, FileAccess.Read),
            new FuzzFile(7, one, FileAccess.Write),
        ];
    }

    private static KernelFuzzResult Run(int seed, int calls, bool privileged, IReadOnlyList<FuzzFile> files, IReadOnlyList<FuzzCall>? replay)
    {
        const ulong RootMemLock = 8UL << 20, NobodyMemLock = 64UL << 10;
        ulong memLock = privileged ? RootMemLock : NobodyMemLock;
        var result = new KernelFuzzResult();
        using FuzzChild child = FuzzChild.Start(files, dropPrivileges: !privileged && Environment.IsPrivilegedProcess, memLock);
        List<FuzzMapsLine> initial = FuzzMapsLine.Parse(child.MapsText(), Arch.TaskSize);
        string executable = initial.First(l => l.Inode != 0).Name;
        ulong heapStart = initial.FirstOrDefault(l => l.Name == "[heap]")?.Start ?? child.InitialBrk;
        // With ADDR_NO_RANDOMIZE Linux's mmap_base is TASK_SIZE less the stack gap (RLIMIT_STACK plus
        // the guard gap, at least 128 MiB); the vdso is the first thing placed below it.
        ulong topDown = initial.Where(l => l.Name.StartsWith("[v", StringComparison.Ordinal)).Max(l => l.End);
        var state = new KernelFuzzState
        {
            Files = files,
            Protected = initial.Select(l => (l.Start, l.End)).ToList(),
            StackStart = initial.FirstOrDefault(l => l.Name == "[stack]")?.Start ?? Arch.TaskSize,
            Special = initial.Where(l => l.Name.StartsWith("[v", StringComparison.Ordinal)).Select(l => (l.Start, l.End)).ToList(),
            MinAddress = MmapMinAddr,
            DacMinAddress = DacMmapMinAddr,
            TopDownBase = topDown,
            VectorAddress = child.VectorAddress,
            VectorSize = child.VectorSize,
            HeapStart = heapStart,
            InitialBrk = child.InitialBrk,
            Privileged = privileged,
            Brk = child.InitialBrk,
        };
        using var warden = new WardenMirror(initial, executable, child.InitialBrk, files, MmapMinAddr, DacMmapMinAddr, topDown, privileged, memLock);
        var generator = new KernelFuzzGenerator(seed, state);
        var history = new Queue<string>();
        string mode = privileged ? "root" : "nobody";
        byte[] kernelVector = new byte[child.VectorSize];
        byte[] wardenVector = new byte[child.VectorSize];

        string Report(int i, string what) =>
            $"kernel fuzz seed {seed} ({mode}), call {i}: {what}\nlast calls:\n  {string.Join("\n  ", history)}\n" +
            $"kernel maps:\n{child.MapsText()}warden maps:\n{warden.Mm.MapsText(Warden.Contexts.Context.Background)}";

        string? mapsDifference = CompareMaps(child.MapsText(), warden, state);
        if (mapsDifference is not null)
        {
            result.Failure = Report(0, "the mirror is not the child's address space: " + mapsDifference);
            return result;
        }
        for (int i = 0; i < calls; i++)
        {
            FuzzCall call = replay is null ? generator.Next() : replay[i];
            List<FuzzMapsLine>? mapsNow = null;
            List<FuzzMapsLine> MapsNow() => mapsNow ??= FuzzMapsLine.Parse(child.MapsText(), Arch.TaskSize);
            string? why = KernelFuzzGuard.WhyNot(call, state, MapsNow);
            if (why is null && KernelFuzzKnownDifferences.Avoided(call, MapsNow, state) is string avoided)
            {
                why = "known difference: " + avoided;
            }
            if (why is not null)
            {
                result.Skipped[why] = result.Skipped.GetValueOrDefault(why) + 1;
                continue;
            }
            (int vectorFrom, int vectorBytes) = VectorWindow(call, state);
            long kernel = child.Syscall(call, kernelVector.AsSpan(0, vectorBytes == 0 ? 0 : vectorFrom + vectorBytes));
            result.Calls.Add(call);
            long answer;
            try
            {
                answer = warden.Call(call);
            }
            catch (Exception e)
            {
                result.Failure = Report(i, $"{call}: Warden threw {e.GetType().Name}: {e.Message} (kernel {FuzzCall.Describe(kernel)})\n{e.StackTrace}");
                return result;
            }
            result.Sent++;
            history.Enqueue($"#{i} {call} = kernel {FuzzCall.Describe(kernel)}, warden {FuzzCall.Describe(answer)}");
            if (history.Count > History)
            {
                history.Dequeue();
            }
            if (kernel != answer)
            {
                KernelFuzzKnownDifferences.Difference? known = KernelFuzzKnownDifferences.Match(call, kernel, answer, state);
                if (known is null)
                {
                    result.Failure = Report(i, $"{call}: kernel {FuzzCall.Describe(kernel)}, warden {FuzzCall.Describe(answer)}");
                    return result;
                }
                result.Known[known.Name] = result.Known.GetValueOrDefault(known.Name) + 1;
                if (!known.SidesStayEqual && !Resync(call, kernel, answer, child, warden))
                {
                    result.EndedEarly = $"call {i}: {known.Name}";
                    break;
                }
                // The kernel's answer is what later calls are aimed by.
            }
            else if (call.Number == Sysno.Mincore && kernel == 0 && vectorBytes > 0)
            {
                warden.Read(state.VectorAddress + (ulong)vectorFrom, wardenVector.AsSpan(0, vectorBytes));
                List<FuzzMapsLine>? kernelMaps = null;
                for (int p = 0; p < vectorBytes; p++)
                {
                    ulong page = call.A0 + ((ulong)p * Page);
                    if (!state.HitsProtected(page, page + Page) && kernelVector[vectorFrom + p] != wardenVector[p])
                    {
                        kernelMaps ??= FuzzMapsLine.Parse(child.MapsText(), Arch.TaskSize);
                        FuzzMapsLine? line = kernelMaps.Find(l => l.Start <= page && page < l.End);
                        if (KernelFuzzKnownDifferences.MincoreOfFilePage(line, kernelVector[vectorFrom + p], wardenVector[p]))
                        {
                            const string Known = "mincore of a file page reports the host's page cache";
                            result.Known[Known] = result.Known.GetValueOrDefault(Known) + 1;
                            continue;
                        }
                        if (KernelFuzzKnownDifferences.MincoreOfSharedAnonymousPage(line, kernelVector[vectorFrom + p], wardenVector[p]))
                        {
                            const string Known = "mincore of shared anonymous memory answers for the object";
                            result.Known[Known] = result.Known.GetValueOrDefault(Known) + 1;
                            continue;
                        }
                        if (KernelFuzzKnownDifferences.MincoreOfPagedOutSharedPage(line, page, kernelVector[vectorFrom + p], wardenVector[p], state))
                        {
                            const string Known = "MADV_PAGEOUT drops clean shared anonymous and file pages";
                            result.Known[Known] = result.Known.GetValueOrDefault(Known) + 1;
                            continue;
                        }
                        if (line is not null && kernelVector[vectorFrom + p] == 0 && wardenVector[p] == 1 &&
                            KernelHasResidentPageNear(child, kernelMaps, line, page, state))
                        {
                            const string Known = "fault-around: Warden gives memory to a page's neighbours";
                            result.Known[Known] = result.Known.GetValueOrDefault(Known) + 1;
                            continue;
                        }
                        if (KernelFuzzKnownDifferences.MincoreBelowPopulatedGrowsDown(line, kernelVector[vectorFrom + p], wardenVector[p], state))
                        {
                            const string Known = "MADV_POPULATE_WRITE in a grows-down mapping populates a page below";
                            result.Known[Known] = result.Known.GetValueOrDefault(Known) + 1;
                            continue;
                        }
                        result.Failure = Report(i, $"{call}: mincore's byte for 0x{page:x} is {kernelVector[vectorFrom + p]} in the kernel, {wardenVector[p]} in warden");
                        return result;
                    }
                }
            }
            if (call.Number == Sysno.Madvise && (int)call.A2 == MadvPageout && kernel == -EINVAL)
            {
                NotePagedOutBeforeLocked(call.A0, call.A1, child.LockedRanges(), state);
            }
            KernelFuzzGuard.Note(call, kernel, state);
            if (i % MapsEvery == MapsEvery - 1 || i == calls - 1 || replay is not null)
            {
                mapsDifference = CompareMaps(child.MapsText(), warden, state);
                if (mapsDifference is not null)
                {
                    result.Failure = Report(i, "the maps differ after it: " + mapsDifference);
                    return result;
                }
                warden.Mm.CheckInvariants();
            }
        }
        mapsDifference = result.EndedEarly is null ? CompareMaps(child.MapsText(), warden, state) : null;
        if (mapsDifference is not null)
        {
            result.Failure = Report(calls, "the maps differ at the end: " + mapsDifference);
        }
        warden.Mm.CheckInvariants();
        return result;
    }

    private const int MadvPageout = 21, EINVAL = 22;

    /// <summary>
    /// MADV_PAGEOUT fails with EINVAL at the first locked vma of its range, after paging out the vmas
    /// before it (madvise walks them in order; checked with a C program, fuzz seed 11284). An EINVAL
    /// of the argument checks (an unaligned start, a wrapping length) pages out nothing.
    /// </summary>
    private static void NotePagedOutBeforeLocked(ulong start, ulong length, List<(ulong Start, ulong End)> locked, KernelFuzzState s)
    {
        if ((start & (Page - 1)) != 0 || length > ulong.MaxValue - (Page - 1))
        {
            return;
        }
        ulong end = start + ((length + Page - 1) & ~(Page - 1));
        if (end < start)
        {
            return;
        }
        foreach ((ulong lockedStart, ulong lockedEnd) in locked)
        {
            if (lockedStart < end && start < lockedEnd)
            {
                if (lockedStart > start)
                {
                    s.PagedOut.Add((start, lockedStart));
                }
                return;
            }
        }
    }

    /// <summary>
    /// Whether the kernel has a resident page in the fault-around window of <paramref name="page"/>
    /// (<see cref="KernelFuzzKnownDifferences.FaultAroundWindow"/>), asked with one more mincore.
    /// </summary>
    private static bool KernelHasResidentPageNear(FuzzChild child, List<FuzzMapsLine> maps, FuzzMapsLine line, ulong page, KernelFuzzState s)
    {
        (ulong start, ulong end) = KernelFuzzKnownDifferences.FaultAroundWindow(maps, line, page);
        int pages = (int)((end - start) / Page);
        if (pages > s.VectorSize)
        {
            return false;
        }
        var vector = new byte[pages];
        long r = child.Syscall(new FuzzCall(Sysno.Mincore, start, end - start, s.VectorAddress), vector);
        return r == 0 && Array.IndexOf(vector, (byte)1) >= 0;
    }

    /// <summary>
    /// Where a mincore call writes into the child's vector buffer: the offset and the byte count to
    /// compare; (0, 0) when the vector is elsewhere (its bytes are then not compared).
    /// </summary>
    private static (int From, int Bytes) VectorWindow(FuzzCall call, KernelFuzzState s)
    {
        if (call.Number != Sysno.Mincore || call.A2 < s.VectorAddress || call.A2 - s.VectorAddress >= (ulong)s.VectorSize)
        {
            return (0, 0);
        }
        int from = (int)(call.A2 - s.VectorAddress);
        ulong pages = ((call.A1 + Page - 1) & ~(Page - 1)) / Page;
        return (from, (int)Math.Min(pages, (ulong)(s.VectorSize - from)));
    }

    /// <summary>
    /// After a known difference in a mmap that replaced nothing, unmaps the new mapping on each side
    /// that made one; false when the sides cannot be brought together again.
    /// </summary>
    private static bool Resync(FuzzCall call, long kernel, long warden, FuzzChild child, WardenMirror mirror)
    {
        static bool Failed(long r) => r is < 0 and >= -4095 || r == WardenMirror.NotAnErrno;
        if (Failed(kernel) && Failed(warden))
        {
            return true;
        }
        if (call.Number == Sysno.Brk)
        {
            return mirror.Call(new FuzzCall(Sysno.Brk, (ulong)kernel)) == kernel;
        }
        bool replaces = (call.A3 & MAP_FIXED) != 0 && (call.A3 & MAP_FIXED_NOREPLACE) == 0;
        if (call.Number != Sysno.Mmap || replaces)
        {
            return false;
        }
        ulong length = (call.A1 + Page - 1) & ~(Page - 1);
        bool kernelUndone = Failed(kernel) || child.Syscall(new FuzzCall(Sysno.Munmap, (ulong)kernel, length)) == 0;
        bool wardenUndone = Failed(warden) || mirror.Call(new FuzzCall(Sysno.Munmap, (ulong)warden, length)) == 0;
        return kernelUndone && wardenUndone;
    }

    /// <summary>A maps line to compare: shared anonymous memory's inode is the kernel's own numbering, so it is left out.</summary>
    private static string Normal(FuzzMapsLine line) => line.Name == "/dev/zero (deleted)"
        ? $"{line.Start:x}-{line.End:x} {line.Perms} {line.Offset:x} {line.Device} {line.Name}"
        : line.Text.TrimEnd();

    /// <summary>
    /// Compares the two maps texts: every line the same, except that where a line meets one of the
    /// child's own mappings only its range and permissions count (the mirror's placeholders differ in
    /// offset, device, inode and name), and shared anonymous memory's inode is not compared. The
    /// vsyscall page (above TASK_SIZE) is left out.
    /// </summary>
    private static string? CompareMaps(string kernelText, WardenMirror warden, KernelFuzzState s)
    {
        List<FuzzMapsLine> kernel = FuzzMapsLine.Parse(kernelText, Arch.TaskSize);
        List<FuzzMapsLine> mirror = FuzzMapsLine.Parse(warden.Mm.MapsText(Warden.Contexts.Context.Background), Arch.TaskSize);
        for (int i = 0; i < Math.Max(kernel.Count, mirror.Count); i++)
        {
            FuzzMapsLine? k = i < kernel.Count ? kernel[i] : null;
            FuzzMapsLine? w = i < mirror.Count ? mirror[i] : null;
            bool same = k is not null && w is not null && (s.HitsProtected(k.Start, k.End)
                ? k.Start == w.Start && k.End == w.End && k.Perms == w.Perms
                : Normal(k) == Normal(w));
            if (!same)
            {
                var text = new StringBuilder();
                text.Append(CultureInfo.InvariantCulture, $"line {i}: kernel \"{k}\", warden \"{w}\"");
                return text.ToString();
            }
        }
        return null;
    }
}
