using FsCheck;
using FsCheck.Fluent;
using Warden.HostArch;
using Warden.MemMap;
using Warden.Tests.Infrastructure;
using Xunit;

namespace Warden.Tests.MemMap;

/// <summary>
/// <see cref="MappingSet"/> against a naive model that keeps, for every page of a small offset
/// space, the set of (space, address page, writable) triples that map it.
/// </summary>
/// <remarks>
/// <para>
/// The model: <c>AddMapping(ms, ar, off, w)</c> adds <c>(ms, ar.Start + (p - off), w)</c> to each
/// page <c>p</c> it maps and returns the pages that had no triple before; <c>RemoveMapping</c> takes
/// exactly those triples away (nothing if they are absent) and returns the pages left with none;
/// <c>Invalidate(mr)</c> must reach each space with the addresses of its triples at pages in
/// <c>mr</c>, joined into maximal runs of consecutive addresses with one writable flag. Results are
/// compared as maximal ranges in increasing order, Invalidate calls as a multiset.
/// </para>
/// <para>
/// After every step the set's segments must be exactly the model's pages, each segment's pages
/// holding exactly the model's triples, and maximal: two abutting segments must not be joinable.
/// </para>
/// <para>
/// One constraint keeps the scenarios those of real address spaces: within a space, an address
/// maps at most one offset at a time (adds that would break this are skipped). The same address
/// and offset may still be added twice, or with both writable flags: the model is a set, as
/// <see cref="MappingsOfRange"/> is.
/// </para>
/// </remarks>
public class MappingSetPropertyTests
{
    private const ulong P = 0x1000;
    private const int OffsetPages = 16;
    private const int SpaceCount = 3;

    public enum OpKind { Add, Remove, Invalidate, InvalidateAll }

    /// <summary>
    /// One operation, its raw numbers interpreted against the state when it runs (see
    /// <see cref="Run"/>), so that removals can target mappings that exist.
    /// </summary>
    public sealed record Op(OpKind Kind, int Space, int A, int B, int C, bool Flag)
    {
        public override string ToString() => $"{Kind}({Space}, {A}, {B}, {C}, {Flag})";
    }

    private static readonly Gen<Op> s_op =
        from kind in Gen.Frequency(
            (4, Gen.Constant(OpKind.Add)),
            (3, Gen.Constant(OpKind.Remove)),
            (2, Gen.Constant(OpKind.Invalidate)),
            (1, Gen.Constant(OpKind.InvalidateAll)))
        from space in Gen.Choose(0, 1000)
        from a in Gen.Choose(0, 1000)
        from b in Gen.Choose(0, 1000)
        from c in Gen.Choose(0, 1000)
        from flag in Gen.Elements(false, true)
        select new Op(kind, space, a, b, c, flag);

    private static readonly Arbitrary<Op[]> s_scenarios = Arb.From(
        from count in Gen.Choose(0, 100)
        from ops in Gen.ArrayOf(s_op, count)
        select ops);

    private readonly record struct Triple(int Space, ulong AddrPage, bool Writable);

    private readonly record struct Mapping(int Space, ulong AddrPage, int OffsetPage, int Pages, bool Writable)
    {
        public override string ToString() => $"space {Space} addr page 0x{AddrPage:x} offsets [{OffsetPage}, {OffsetPage + Pages}) {(Writable ? "w" : "r")}";
    }

    /// <summary>One scenario's state: the set, the model, and the mappings added so far.</summary>
    private sealed class Harness
    {
        public readonly RecordingMappingSpace[] Spaces = [new("S0"), new("S1"), new("S2")];
        public readonly MappingSet Set = new();
        public readonly HashSet<Triple>[] Model = [.. Enumerable.Range(0, OffsetPages).Select(_ => new HashSet<Triple>())];
        public readonly List<Mapping> Added = [];
        public readonly List<string> Log = [];

        /// <summary>Each space's addresses start at its own base (a page number), far from the others'.</summary>
        public static ulong BasePage(int space) => 0x100UL * (ulong)(space + 1);

        public int IndexOf(IMappingSpace ms) => Array.IndexOf(Spaces, (RecordingMappingSpace)ms);

        public string Trace() => string.Join("\n  ", Log);
    }

    private static List<MappableRange> Coalesce(IEnumerable<int> pages)
    {
        var ranges = new List<MappableRange>();
        foreach (int p in pages.Order())
        {
            ulong start = (ulong)p * P;
            if (ranges.Count != 0 && ranges[^1].End == start)
            {
                ranges[^1] = ranges[^1] with { End = start + P };
            }
            else
            {
                ranges.Add(new MappableRange(start, start + P));
            }
        }
        return ranges;
    }

    private static string Show(IEnumerable<MappableRange> ranges) => $"[{string.Join(", ", ranges)}]";

    private static AddrRange AddrPages(ulong addrPage, int pages) => new(new Addr(addrPage * P), new Addr((addrPage + (ulong)pages) * P));

    // ---- Operations on set and model.

    private static void DoAdd(Harness h, Mapping m)
    {
        // Skip an add that would make an address of the space map a second offset.
        for (int i = 0; i < m.Pages; i++)
        {
            ulong addr = m.AddrPage + (ulong)i;
            for (int p = 0; p < OffsetPages; p++)
            {
                if (p != m.OffsetPage + i && h.Model[p].Any(t => t.Space == m.Space && t.AddrPage == addr))
                {
                    h.Log.Add($"(skipped add: {m})");
                    return;
                }
            }
        }
        h.Log.Add($"add {m}");
        var expected = new List<int>();
        for (int i = 0; i < m.Pages; i++)
        {
            int p = m.OffsetPage + i;
            if (h.Model[p].Count == 0)
            {
                expected.Add(p);
            }
            h.Model[p].Add(new Triple(m.Space, m.AddrPage + (ulong)i, m.Writable));
        }
        List<MappableRange> actual = h.Set.AddMapping(h.Spaces[m.Space], AddrPages(m.AddrPage, m.Pages), (ulong)m.OffsetPage * P, m.Writable);
        Assert.True(Coalesce(expected).SequenceEqual(actual),
            $"AddMapping returned {Show(actual)}, model says {Show(Coalesce(expected))}\n  {h.Trace()}");
        h.Added.Add(m);
    }

    private static void DoRemove(Harness h, Mapping m)
    {
        var pages = Enumerable.Range(m.OffsetPage, m.Pages);
        if (pages.All(p => h.Model[p].Count == 0))
        {
            // Nothing to remove: the precondition is broken, and the set must refuse without changing.
            h.Log.Add($"remove (nothing mapped, must throw) {m}");
            Assert.Throws<InvalidOperationException>(
                () => h.Set.RemoveMapping(h.Spaces[m.Space], AddrPages(m.AddrPage, m.Pages), (ulong)m.OffsetPage * P, m.Writable));
            return;
        }
        h.Log.Add($"remove {m}");
        List<MappableRange> actual;
        try
        {
            actual = h.Set.RemoveMapping(h.Spaces[m.Space], AddrPages(m.AddrPage, m.Pages), (ulong)m.OffsetPage * P, m.Writable);
        }
        catch (InvalidOperationException) when (h.Model[m.OffsetPage].Count == 0)
        {
            // The first offset is unmapped, so this mapping cannot exist: refusing (as gVisor does)
            // is allowed, but then nothing may have changed (checked after the step).
            h.Log.Add("  (refused: first offset unmapped)");
            return;
        }
        var expected = new List<int>();
        for (int i = 0; i < m.Pages; i++)
        {
            int p = m.OffsetPage + i;
            bool wasMapped = h.Model[p].Count != 0;
            h.Model[p].Remove(new Triple(m.Space, m.AddrPage + (ulong)i, m.Writable));
            if (wasMapped && h.Model[p].Count == 0)
            {
                expected.Add(p);
            }
        }
        Assert.True(Coalesce(expected).SequenceEqual(actual),
            $"RemoveMapping returned {Show(actual)}, model says {Show(Coalesce(expected))}\n  {h.Trace()}");
    }

    private static void DoInvalidate(Harness h, MappableRange mr, InvalidateOpts opts)
    {
        h.Log.Add($"invalidate {mr} private={opts.InvalidatePrivate}");
        foreach (RecordingMappingSpace space in h.Spaces)
        {
            space.Clear();
        }
        if (mr.End == ulong.MaxValue && mr.Start == 0)
        {
            h.Set.InvalidateAll(opts);
        }
        else
        {
            h.Set.Invalidate(mr, opts);
        }

        // Expected: per space and writable flag, the distinct address pages, in maximal runs.
        var expected = new List<string>();
        for (int s = 0; s < SpaceCount; s++)
        {
            foreach (bool writable in new[] { false, true })
            {
                var addrs = new SortedSet<ulong>();
                for (int p = 0; p < OffsetPages; p++)
                {
                    if (mr.Contains((ulong)p * P))
                    {
                        foreach (Triple t in h.Model[p])
                        {
                            if (t.Space == s && t.Writable == writable)
                            {
                                addrs.Add(t.AddrPage);
                            }
                        }
                    }
                }
                ulong? runStart = null;
                ulong runEnd = 0;
                foreach (ulong a in addrs)
                {
                    if (runStart is not null && a == runEnd)
                    {
                        runEnd++;
                        continue;
                    }
                    if (runStart is not null)
                    {
                        expected.Add($"S{s} {AddrPages(runStart.Value, (int)(runEnd - runStart.Value))}");
                    }
                    runStart = a;
                    runEnd = a + 1;
                }
                if (runStart is not null)
                {
                    expected.Add($"S{s} {AddrPages(runStart.Value, (int)(runEnd - runStart.Value))}");
                }
            }
        }
        var actual = new List<string>();
        foreach (RecordingMappingSpace space in h.Spaces)
        {
            foreach ((AddrRange range, InvalidateOpts callOpts) in space.Calls)
            {
                Assert.True(callOpts == opts, $"{space} got opts {callOpts}, expected {opts}\n  {h.Trace()}");
                actual.Add($"{space} {range}");
            }
        }
        expected.Sort(StringComparer.Ordinal);
        actual.Sort(StringComparer.Ordinal);
        Assert.True(expected.SequenceEqual(actual),
            $"Invalidate calls [{string.Join("; ", actual)}], model says [{string.Join("; ", expected)}]\n  {h.Trace()}");
    }

    /// <summary>The set's segments hold exactly the model's pages and triples, and are maximal.</summary>
    private static void AssertMatchesModel(Harness h)
    {
        h.Set.CheckInvariants();
        var segments = h.Set.Segments().ToList();
        Assert.Equal(segments.Count, h.Set.SegmentCount);
        Assert.Equal(h.Model.All(s => s.Count == 0), h.Set.IsEmpty);

        var covered = new bool[OffsetPages];
        for (int i = 0; i < segments.Count; i++)
        {
            (MappableRange range, IReadOnlySet<MappingOfRange> mappings) = segments[i];
            string where = $"segment {range} {{{string.Join(", ", mappings)}}}";
            Assert.True(range.IsPageAligned && range.Length != 0 && range.End <= OffsetPages * P, $"bad {where}\n  {h.Trace()}");
            Assert.True(i == 0 || segments[i - 1].Range.End <= range.Start, $"segments out of order at {where}\n  {h.Trace()}");
            Assert.True(mappings.Count != 0, $"empty {where}\n  {h.Trace()}");
            foreach (MappingOfRange m in mappings)
            {
                Assert.True(m.AddrRange.Length == range.Length && m.AddrRange.IsPageAligned, $"mapping {m} does not fit {where}\n  {h.Trace()}");
            }
            for (ulong off = range.Start; off < range.End; off += P)
            {
                int p = (int)(off / P);
                covered[p] = true;
                var triples = mappings
                    .Select(m => new Triple(h.IndexOf(m.MappingSpace), (m.AddrRange.Start.Value + (off - range.Start)) / P, m.Writable))
                    .ToHashSet();
                Assert.True(triples.SetEquals(h.Model[p]),
                    $"page {p}: {where} gives {{{string.Join(", ", triples)}}}, model {{{string.Join(", ", h.Model[p])}}}\n  {h.Trace()}");
            }
            if (i > 0 && segments[i - 1].Range.End == range.Start)
            {
                // Abutting segments must differ: the last page of the first, shifted one page on, is
                // not the first page of the second.
                int last = (int)(range.Start / P) - 1;
                var continued = h.Model[last].Select(t => t with { AddrPage = t.AddrPage + 1 }).ToHashSet();
                Assert.False(continued.SetEquals(h.Model[last + 1]), $"{where} should have merged with its predecessor\n  {h.Trace()}");
            }
        }
        for (int p = 0; p < OffsetPages; p++)
        {
            Assert.True(covered[p] == (h.Model[p].Count != 0), $"page {p}: covered {covered[p]}, model {h.Model[p].Count} triples\n  {h.Trace()}");
        }
    }

    /// <summary>Interprets an operation's raw numbers against the current state, and runs it.</summary>
    private static void Run(Harness h, Op op)
    {
        switch (op.Kind)
        {
            case OpKind.Add:
                DoAdd(h, RandomMapping(op));
                break;

            case OpKind.Remove:
                if (h.Added.Count == 0 || op.C % 8 == 7)
                {
                    DoRemove(h, RandomMapping(op));
                    break;
                }
                Mapping m = h.Added[op.A % h.Added.Count];
                switch (op.C % 8)
                {
                    case 4:
                        DoRemove(h, m with { Writable = !m.Writable });
                        break;
                    case 5:
                    case 6:
                        int skip = op.B % m.Pages;
                        int pages = 1 + (op.Space % (m.Pages - skip));
                        DoRemove(h, new Mapping(m.Space, m.AddrPage + (ulong)skip, m.OffsetPage + skip, pages, m.Writable));
                        break;
                    default:
                        DoRemove(h, m);
                        break;
                }
                break;

            case OpKind.Invalidate:
                int start = op.A % (OffsetPages + 2);
                int length = 1 + (op.B % (OffsetPages + 2));
                DoInvalidate(h, new MappableRange((ulong)start * P, (ulong)(start + length) * P), new InvalidateOpts { InvalidatePrivate = op.Flag });
                break;

            case OpKind.InvalidateAll:
                DoInvalidate(h, new MappableRange(0, ulong.MaxValue), new InvalidateOpts { InvalidatePrivate = op.Flag });
                break;
        }
    }

    /// <summary>
    /// A mapping from the raw numbers: usually at the space's "natural" address for the offset (so
    /// that mappings of one space abut and merge), otherwise at an arbitrary address near the base.
    /// </summary>
    private static Mapping RandomMapping(Op op)
    {
        int space = op.Space % SpaceCount;
        int offset = op.A % OffsetPages;
        int pages = 1 + (op.B % (OffsetPages - offset));
        ulong addrPage = op.C % 3 == 0
            ? Harness.BasePage(space) + (ulong)(op.C / 3 % 48)
            : Harness.BasePage(space) + (ulong)offset;
        return new Mapping(space, addrPage, offset, pages, op.Flag);
    }

    [Fact]
    public void Operations_MatchThePerPageModel() =>
        Prop.ForAll(s_scenarios, ops =>
        {
            var h = new Harness();
            foreach (Op op in ops)
            {
                Run(h, op);
                AssertMatchesModel(h);
            }
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void AddingThenRemovingEverything_EmptiesTheSet() =>
        Prop.ForAll(s_scenarios, ops =>
        {
            var h = new Harness();
            foreach (Op op in ops.Where(o => o.Kind == OpKind.Add))
            {
                Run(h, op);
            }
            AssertMatchesModel(h);
            // Remove every distinct mapping that was added, in reverse order.
            // A later mapping may already have taken some of a mapping's triples (the model is a set),
            // so each removal starts at the mapping's first page that is still mapped.
            foreach (Mapping m in h.Added.Distinct().Reverse())
            {
                int skip = Enumerable.Range(0, m.Pages).FirstOrDefault(i => h.Model[m.OffsetPage + i].Count != 0, -1);
                if (skip >= 0)
                {
                    DoRemove(h, new Mapping(m.Space, m.AddrPage + (ulong)skip, m.OffsetPage + skip, m.Pages - skip, m.Writable));
                }
                AssertMatchesModel(h);
            }
            Assert.True(h.Set.IsEmpty, $"not empty after removing everything\n  {h.Trace()}");
            Assert.Equal(0, h.Set.SegmentCount);
        }).QuickCheckThrowOnFailure();
}
