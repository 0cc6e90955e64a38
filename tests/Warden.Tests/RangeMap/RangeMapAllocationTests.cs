using Warden.HostArch;
using Warden.Tests.Infrastructure;
using Xunit;
using LongMap = Warden.RangeMap.RangeMap<Warden.HostArch.FileRange, long, Warden.Tests.RangeMap.NeverMergeOps>;
using OffsetMap = Warden.RangeMap.RangeMap<Warden.HostArch.FileRange, ulong, Warden.Tests.RangeMap.OffsetOps>;
using StringMap = Warden.RangeMap.RangeMap<Warden.HostArch.AddrRange, string, Warden.Tests.RangeMap.StringOps>;

namespace Warden.Tests.RangeMap;

/// <summary>
/// Lookups and iterator steps never allocate, and a map whose size holds steady allocates nothing
/// for inserts and removes (freed nodes are pooled).
/// </summary>
public class RangeMapAllocationTests
{
    private const int Segments = 10_000;
    private const int Operations = 10_000;

    private static FileRange R(ulong start, ulong end) => new(start, end);

    private static ulong[] RandomKeys(int count, ulong space, int seed)
    {
        var random = new Random(seed);
        var keys = new ulong[count];
        for (int i = 0; i < count; i++)
        {
            keys[i] = (ulong)random.NextInt64((long)space);
        }
        return keys;
    }

    /// <summary>Segment i is [16i, 16i + 8): lookups land in segments and gaps alike.</summary>
    private static OffsetMap BuildOffsetMap()
    {
        var map = new OffsetMap();
        for (ulong i = 0; i < Segments; i++)
        {
            map.Add(R(i * 16, (i * 16) + 8), i * 1000);
        }
        return map;
    }

    private static ulong Lookups(OffsetMap map, ulong[] keys)
    {
        ulong sum = 0;
        foreach (ulong key in keys)
        {
            OffsetMap.Segment s = map.FindSegment(key);
            if (s.IsValid)
            {
                sum += s.Value + s.NextSegment().Start + s.PrevGap().Start + s.Range.End;
            }
            OffsetMap.Gap g = map.FindGap(key);
            if (g.IsValid)
            {
                sum += g.End + g.NextGap().Start + g.PrevGap().Length;
                sum += g.NextLargeEnoughGap(9).Start;
            }
            (OffsetMap.Segment fs, OffsetMap.Gap fg) = map.Find(key);
            sum += fs.IsValid ? fs.End : fg.Start;
            sum += map.LowerBoundSegment(key).IsValid ? 1UL : 0;
            sum += map.UpperBoundSegment(key).IsValid ? 1UL : 0;
            sum += map.LowerBoundGap(key).Start + map.UpperBoundGap(key).End;
            sum += map.IsEmptyRange(R(key, key + 20)) ? 1UL : 0;
            sum += map.SpanRange(R(key, key + 40));
            sum += map.FirstSegment().Start + map.LastGap().Start;
        }
        foreach (OffsetMap.Segment s in map)
        {
            sum += s.Start;
        }
        return sum;
    }

    [Fact]
    public void LookupsAndSteps_AllocateNothing()
    {
        OffsetMap map = BuildOffsetMap();
        ulong[] keys = RandomKeys(Operations, Segments * 16, 1);
        ulong sum = default;
        long allocated = Allocations.By(() => sum = Lookups(map, keys), iterations: 1, warmups: 1);

        Assert.NotEqual(0UL, sum);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void LookupsWithReferenceValues_AllocateNothing()
    {
        var map = new StringMap();
        string[] values = ["a", "b"];
        for (ulong i = 0; i < Segments; i++)
        {
            map.Add(new AddrRange(new Addr(i * 16), new Addr((i * 16) + 8)), values[i % 2]);
        }
        ulong[] keys = RandomKeys(Operations, Segments * 16, 2);

        int Run()
        {
            int found = 0;
            foreach (ulong key in keys)
            {
                StringMap.Segment s = map.FindSegment(key);
                if (s.IsValid && s.Value.Length == 1 && s.NextSegment().IsValid)
                {
                    found++;
                }
                found += map.FindGap(key).IsValid ? 1 : 0;
            }
            return found;
        }

        int found = default;
        long allocated = Allocations.By(() => found = Run(), iterations: 1, warmups: 1);

        Assert.NotEqual(0, found);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void InsertRemovePairs_InSteadyState_AllocateNothing()
    {
        var map = new LongMap();
        for (ulong i = 0; i < Segments; i++)
        {
            map.Add(R(i * 16, (i * 16) + 8), (long)i);
        }
        // Insert a segment into a random gap, then remove it: the map's size stays put.
        ulong[] keys = RandomKeys(Operations, Segments * 16, 3);
        for (int i = 0; i < keys.Length; i++)
        {
            keys[i] = (keys[i] & ~15UL) + 9; // inside the gap [16i + 8, 16i + 16)
        }

        long Run()
        {
            long sum = 0;
            foreach (ulong key in keys)
            {
                LongMap.Gap gap = map.FindGap(key);
                LongMap.Segment s = map.Insert(gap, R(key, key + 4), 7);
                sum += s.Value;
                sum += (long)map.Remove(s).Length;
            }
            return sum;
        }

        Run();
        map.CheckInvariants(requireMerged: true);
        long sum = default;
        long allocated = Allocations.By(() => sum = Run(), iterations: 1, warmups: 1);

        Assert.NotEqual(0, sum);
        Assert.Equal(0, allocated);
        map.CheckInvariants(requireMerged: true);
        Assert.Equal(Segments, map.Count);
    }

    [Fact]
    public void AddRemoveRangeAndSplitMerge_InSteadyState_AllocateNothing()
    {
        OffsetMap map = BuildOffsetMap();
        ulong[] keys = RandomKeys(Operations, Segments * 16, 4);

        ulong Run()
        {
            ulong sum = 0;
            foreach (ulong key in keys)
            {
                ulong slot = key & ~15UL;
                // A one-key segment in the gap, added and removed.
                if (map.Add(R(slot + 10, slot + 11), 5))
                {
                    sum += map.RemoveRange(R(slot + 10, slot + 11)).Length;
                }
                // Split a segment and merge it back.
                if (map.SplitAt(slot + 3))
                {
                    OffsetMap.Segment first = map.FindSegment(slot);
                    sum += map.Merge(first, first.NextSegment()).End;
                }
            }
            return sum;
        }

        ulong sum = default;
        long allocated = Allocations.By(() => sum = Run(), iterations: 1, warmups: 1);

        Assert.NotEqual(0UL, sum);
        Assert.Equal(0, allocated);
        map.CheckInvariants(requireMerged: true);
        Assert.Equal(Segments, map.Count);
    }
}
