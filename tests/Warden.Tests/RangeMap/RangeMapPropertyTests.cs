using FsCheck;
using FsCheck.Fluent;
using Warden.HostArch;
using Warden.RangeMap;
using Xunit;

namespace Warden.Tests.RangeMap;

/// <summary>
/// <see cref="RangeMap{TRange, TValue, TOps}"/> against <see cref="RangeMapModel{TRange, TValue, TOps}"/>:
/// long random sequences of every mutation over a small key space (so that ranges collide, abut and
/// merge), with the whole map, every gap and lookups at many keys compared after each step.
/// </summary>
public class RangeMapPropertyTests
{
    public enum OpKind
    {
        Add, AddWithoutMerging, Insert, InsertWithoutMerging, Remove, RemoveRange, Split, SplitAt, Isolate,
        Merge, MergeAll, MergeRange, MergeAdjacent, RemoveAll, SetRangeUnchecked, WriteValue,
    }

    /// <summary>One step: A picks a key, B a length or offset, V a value, Sel a variant.</summary>
    public sealed record Op(OpKind Kind, ulong A, ulong B, int V, int Sel)
    {
        public override string ToString() => $"{Kind}({A}, {B}, v{V}, s{Sel})";
    }

    public sealed record Scenario(int Prepopulate, int Seed, Op[] Ops)
    {
        public override string ToString() => $"prepopulate {Prepopulate} (seed {Seed}), ops [{string.Join(", ", Ops.Select(o => o.ToString()))}]";
    }

    /// <param name="KeySpace">Keys are drawn from [0, KeySpace).</param>
    /// <param name="MaxLength">Lengths of added and removed ranges are 1 to MaxLength.</param>
    /// <param name="LeafCapacity">0 for the map's default capacities; else the leaves' capacity.</param>
    /// <param name="InternalCapacity">The internal nodes' capacity, unless LeafCapacity is 0.</param>
    /// <param name="ProbeLimit">Roughly how many segment bounds to probe after each step.</param>
    private sealed record Settings(ulong KeySpace, ulong MaxLength, int LeafCapacity, int InternalCapacity, int ProbeLimit);

    private static readonly Gen<Op> s_op =
        from kind in Gen.Frequency(
            (10, Gen.Constant(OpKind.Add)),
            (4, Gen.Constant(OpKind.AddWithoutMerging)),
            (8, Gen.Constant(OpKind.Insert)),
            (3, Gen.Constant(OpKind.InsertWithoutMerging)),
            (5, Gen.Constant(OpKind.Remove)),
            (5, Gen.Constant(OpKind.RemoveRange)),
            (4, Gen.Constant(OpKind.Split)),
            (3, Gen.Constant(OpKind.SplitAt)),
            (3, Gen.Constant(OpKind.Isolate)),
            (3, Gen.Constant(OpKind.Merge)),
            (1, Gen.Constant(OpKind.MergeAll)),
            (2, Gen.Constant(OpKind.MergeRange)),
            (2, Gen.Constant(OpKind.MergeAdjacent)),
            (1, Gen.Constant(OpKind.RemoveAll)),
            (2, Gen.Constant(OpKind.SetRangeUnchecked)),
            (2, Gen.Constant(OpKind.WriteValue)))
        from a in Gen.Choose(0, int.MaxValue)
        from b in Gen.Choose(0, int.MaxValue)
        from v in Gen.Choose(0, 2)
        from sel in Gen.Choose(0, 3)
        select new Op(kind, (ulong)a, (ulong)b, v, sel);

    private static Arbitrary<Scenario> Scenarios(int minPrepopulate, int maxPrepopulate, int maxOps) => Arb.From(
        from prepopulate in Gen.Choose(minPrepopulate, maxPrepopulate)
        from seed in Gen.Choose(0, int.MaxValue)
        from count in Gen.Choose(1, maxOps)
        from ops in Gen.ArrayOf(s_op, count)
        select new Scenario(prepopulate, seed, ops));

    // Offsets that continue across abutting segments with the same V (start + V * 1000) merge.
    private static ulong OffsetValue(ulong start, int v) => start + ((ulong)v * 1000);

    private static int IntValue(ulong start, int v) => v;

    private static readonly string[] s_strings = ["a", "b", "c"];

    private static string StringValue(ulong start, int v) => s_strings[v];

    [Fact]
    public void OffsetValues_SmallKeySpace_MatchTheModel() =>
        Prop.ForAll(Scenarios(0, 0, 300), s =>
            Run<FileRange, ulong, OffsetOps>(s, new Settings(64, 8, 0, 0, 200), OffsetValue))
        .QuickCheckThrowOnFailure();

    [Fact]
    public void IntValues_SmallKeySpace_MatchTheModel() =>
        Prop.ForAll(Scenarios(0, 0, 300), s =>
            Run<FileRange, int, IntOps>(s, new Settings(64, 8, 0, 0, 200), IntValue))
        .QuickCheckThrowOnFailure();

    [Fact]
    public void OffsetValues_DeepTreesOfSmallNodes_MatchTheModel() =>
        Prop.ForAll(Scenarios(0, 150, 300), s =>
            Run<FileRange, ulong, OffsetOps>(s, new Settings(400, 6, 4, 4, 60), OffsetValue))
        .QuickCheckThrowOnFailure();

    [Fact]
    public void IntValues_DeepTreesOfSmallNodes_MatchTheModel() =>
        Prop.ForAll(Scenarios(0, 150, 300), s =>
            Run<FileRange, int, IntOps>(s, new Settings(400, 6, 5, 4, 60), IntValue))
        .QuickCheckThrowOnFailure();

    [Fact]
    public void StringValues_DeepTreesOfSmallNodes_MatchTheModel() =>
        Prop.ForAll(Scenarios(0, 100, 300), s =>
            Run<AddrRange, string, StringOps>(s, new Settings(300, 6, 4, 6, 60), StringValue))
        .QuickCheckThrowOnFailure();

    /// <summary>Thousands of segments in default-sized nodes: several levels, with real node splits and merges.</summary>
    [Fact]
    public void OffsetValues_ManySegments_MatchTheModel() =>
        Check.One(
            Config.QuickThrowOnFailure.WithMaxTest(12),
            Prop.ForAll(Scenarios(1500, 4000, 150), s =>
                Run<FileRange, ulong, OffsetOps>(s, new Settings(20_000, 12, 0, 0, 24), OffsetValue)));

    private static void Run<TRange, TValue, TOps>(Scenario scenario, Settings settings, Func<ulong, int, TValue> makeValue)
        where TRange : struct, IRange<TRange>
        where TOps : IRangeMapOps<TRange, TValue>
    {
        RangeMap<TRange, TValue, TOps> map = settings.LeafCapacity == 0
            ? new RangeMap<TRange, TValue, TOps>()
            : new RangeMap<TRange, TValue, TOps>(settings.LeafCapacity, settings.InternalCapacity);
        var model = new RangeMapModel<TRange, TValue, TOps>();
        ulong space = settings.KeySpace;
        ulong maxLength = settings.MaxLength;

        var random = new Random(scenario.Seed);
        for (int i = 0; i < scenario.Prepopulate; i++)
        {
            ulong start = (ulong)random.NextInt64((long)space);
            ulong end = Math.Min(space, start + 1 + (ulong)random.NextInt64((long)maxLength));
            TValue value = makeValue(start, random.Next(3));
            Assert.Equal(model.Add(start, end, value, merge: true), map.Add(TRange.FromBounds(start, end), value));
        }
        bool merged = true;
        model.AssertMatches(map, Probes(model, space, 0, settings.ProbeLimit), merged, "prepopulation");

        int step = 0;
        foreach (Op op in scenario.Ops)
        {
            step++;
            ulong key = op.A % space;
            ulong length = 1 + (op.B % maxLength);
            ulong end = key + length;
            TRange range = TRange.FromBounds(key, end);
            TValue value = makeValue(key, op.V);
            string what = $"step {step}: {op} (key {key}, range [{key}, {end}))";

            switch (op.Kind)
            {
                case OpKind.Add:
                    Assert.Equal(model.Add(key, end, value, merge: true), map.Add(range, value));
                    break;

                case OpKind.AddWithoutMerging:
                    if (model.Add(key, end, value, merge: false))
                    {
                        Assert.True(map.AddWithoutMerging(range, value), what);
                        merged = false;
                    }
                    else
                    {
                        Assert.False(map.AddWithoutMerging(range, value), what);
                    }
                    break;

                case OpKind.Insert:
                case OpKind.InsertWithoutMerging:
                {
                    var gap = map.FindGap(key);
                    int gi = model.GapIndexOf(key);
                    Assert.Equal(gi >= 0, gap.IsValid);
                    if (!gap.IsValid)
                    {
                        break;
                    }
                    (ulong gs, ulong ge) = (gap.Start, gap.End);
                    // Where in the gap: at its start (to abut the previous segment), at its end (to
                    // abut the next), at the key, or filling it (to abut both).
                    (ulong s, ulong e) = op.Sel switch
                    {
                        0 => (gs, gs + Math.Min(length, ge - gs)),
                        1 when ge != ulong.MaxValue => (ge - Math.Min(length, ge - gs), ge),
                        3 when ge != ulong.MaxValue && ge - gs <= 2 * maxLength => (gs, ge),
                        _ => (key, key + Math.Min(length, ge - key)),
                    };
                    TValue v = makeValue(s, op.V);
                    bool merge = op.Kind == OpKind.Insert;
                    var inserted = merge
                        ? map.Insert(gap, TRange.FromBounds(s, e), v)
                        : map.InsertWithoutMerging(gap, TRange.FromBounds(s, e), v);
                    int index = model.Insert(gi, s, e, v, merge);
                    merged &= merge;
                    Assert.Equal(model.Segments[index], (inserted.Start, inserted.End, inserted.Value));
                    Assert.Equal(inserted, map.FindSegment(s));
                    what += $" inserted [{s}, {e})";
                    break;
                }

                case OpKind.Remove:
                {
                    var segment = map.FindSegment(key);
                    int index = model.SegmentIndexOf(key);
                    Assert.Equal(index >= 0, segment.IsValid);
                    if (index < 0)
                    {
                        break;
                    }
                    var gap = map.Remove(segment);
                    model.RemoveAt(index);
                    Assert.Equal(model.Gaps()[index], (gap.Start, gap.End));
                    Assert.Equal(gap, map.FindGap(key));
                    break;
                }

                case OpKind.RemoveRange:
                {
                    var gap = map.RemoveRange(range);
                    model.RemoveRange(key, end);
                    Assert.Equal(model.Gaps()[model.GapIndexOf(key)], (gap.Start, gap.End));
                    Assert.Equal(gap, map.FindGap(key));
                    break;
                }

                case OpKind.Split:
                {
                    var segment = map.FindSegment(key);
                    int index = model.SegmentIndexOf(key);
                    if (index < 0 || model.Segments[index].Start == key)
                    {
                        if (segment.IsValid)
                        {
                            var whole = segment;
                            Assert.Throws<ArgumentException>(() => map.Split(whole, key));
                        }
                        break;
                    }
                    var (first, second) = map.Split(segment, key);
                    model.Split(index, key);
                    merged = false;
                    Assert.Equal(model.Segments[index], (first.Start, first.End, first.Value));
                    Assert.Equal(model.Segments[index + 1], (second.Start, second.End, second.Value));
                    Assert.Equal(second, first.NextSegment());
                    Assert.Equal(first, map.FindSegment(first.Start));
                    Assert.Equal(second, map.FindSegment(second.Start));
                    break;
                }

                case OpKind.SplitAt:
                {
                    int index = model.SegmentIndexOf(key);
                    bool expected = index >= 0 && model.Segments[index].Start < key;
                    Assert.Equal(expected, map.SplitAt(key));
                    if (expected)
                    {
                        model.Split(index, key);
                        merged = false;
                    }
                    break;
                }

                case OpKind.Isolate:
                {
                    var segment = map.FindSegment(key);
                    int index = model.SegmentIndexOf(key);
                    if (index < 0)
                    {
                        break;
                    }
                    // A range around the key, so it overlaps the segment.
                    ulong s = key - Math.Min(key, op.B % 4);
                    ulong e = key + 1 + (ulong)op.Sel;
                    int before = model.Segments.Count;
                    var isolated = map.Isolate(segment, TRange.FromBounds(s, e));
                    int isolatedIndex = model.Isolate(index, s, e);
                    merged &= model.Segments.Count == before;
                    Assert.Equal(model.Segments[isolatedIndex], (isolated.Start, isolated.End, isolated.Value));
                    Assert.Equal(isolated, map.FindSegment(isolated.Start));
                    what += $" isolate [{s}, {e})";
                    break;
                }

                case OpKind.Merge:
                {
                    var segment = map.FindSegment(key);
                    int index = model.SegmentIndexOf(key);
                    if (index < 0)
                    {
                        break;
                    }
                    var next = segment.NextSegment();
                    if (!next.IsValid || next.Start != segment.End)
                    {
                        if (next.IsValid)
                        {
                            Assert.Throws<ArgumentException>(() => map.Merge(segment, next));
                        }
                        break;
                    }
                    var result = map.Merge(segment, next);
                    Assert.Equal(model.Merge(index), result.IsValid);
                    if (result.IsValid)
                    {
                        Assert.Equal(model.Segments[index], (result.Start, result.End, result.Value));
                        Assert.Equal(result, map.FindSegment(result.Start));
                    }
                    break;
                }

                case OpKind.MergeAll:
                    map.MergeAll();
                    model.MergeAll();
                    merged = true;
                    break;

                case OpKind.MergeRange:
                    map.MergeRange(TRange.FromBounds(key, key + (3 * length)));
                    model.MergeRange(key, key + (3 * length));
                    break;

                case OpKind.MergeAdjacent:
                    map.MergeAdjacent(range);
                    model.MergeAdjacent(key, end);
                    break;

                case OpKind.RemoveAll:
                    map.RemoveAll();
                    model.Segments.Clear();
                    merged = true;
                    break;

                case OpKind.SetRangeUnchecked:
                {
                    var segment = map.FindSegment(key);
                    int index = model.SegmentIndexOf(key);
                    if (index < 0)
                    {
                        break;
                    }
                    (ulong s, ulong e, TValue v) = model.Segments[index];
                    ulong len = e - s;
                    // Shrink it (always valid), or try to grow it over its neighbour (invalid when it would overlap).
                    if (op.Sel < 3 || len == 1)
                    {
                        ulong cutStart = op.B % len;
                        ulong cutEnd = (op.B / 7) % (len - cutStart);
                        map.SetRangeUnchecked(segment, TRange.FromBounds(s + cutStart, e - cutEnd));
                        model.Segments[index] = (s + cutStart, e - cutEnd, v);
                        merged = false;
                    }
                    else
                    {
                        ulong newEnd = e + 1 + (op.B % 3);
                        bool fits = index + 1 == model.Segments.Count || model.Segments[index + 1].Start >= newEnd;
                        if (fits)
                        {
                            map.SetRangeUnchecked(segment, TRange.FromBounds(s, newEnd));
                            model.Segments[index] = (s, newEnd, v);
                            merged = false;
                        }
                        else
                        {
                            Assert.Throws<ArgumentException>(() => map.SetRangeUnchecked(segment, TRange.FromBounds(s, newEnd)));
                        }
                    }
                    break;
                }

                case OpKind.WriteValue:
                {
                    var segment = map.FindSegment(key);
                    int index = model.SegmentIndexOf(key);
                    if (index < 0)
                    {
                        break;
                    }
                    TValue v = makeValue(model.Segments[index].Start, op.V);
                    segment.Value = v;
                    model.Segments[index] = (model.Segments[index].Start, model.Segments[index].End, v);
                    merged = false;
                    break;
                }
            }

            model.AssertMatches(map, Probes(model, space, key, settings.ProbeLimit), merged, what);
        }
    }

    /// <summary>
    /// Keys to look up: the ends of the key space, every segment bound and its neighbours (up to a
    /// limit, spread over the map), and the op's key.
    /// </summary>
    private static List<ulong> Probes<TRange, TValue, TOps>(RangeMapModel<TRange, TValue, TOps> model, ulong space, ulong key, int limit)
        where TRange : struct, IRange<TRange>
        where TOps : IRangeMapOps<TRange, TValue>
    {
        var probes = new List<ulong> { 0, 1, space - 1, space, space + 1, ulong.MaxValue - 1, ulong.MaxValue, key };
        int count = model.Segments.Count;
        int stride = Math.Max(1, (count * 4) / Math.Max(1, limit));
        for (int i = 0; i < count; i += stride)
        {
            (ulong s, ulong e, _) = model.Segments[i];
            probes.Add(s);
            probes.Add(e);
            if (s > 0)
            {
                probes.Add(s - 1);
            }
            probes.Add(e - 1);
        }
        return probes;
    }
}
