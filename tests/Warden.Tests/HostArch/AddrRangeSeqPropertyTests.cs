using FsCheck;
using FsCheck.Fluent;
using Warden.HostArch;
using Xunit;

namespace Warden.Tests.HostArch;

/// <summary>
/// <see cref="AddrRangeSeq"/> against a naive model: a list of (start, end) pairs on which each
/// operation is written the obvious way.
/// </summary>
public class AddrRangeSeqPropertyTests
{
    public enum OpKind { Drop, Drop64, Take, Take64, Tail }

    /// <summary>
    /// One operation. Its byte count is chosen when it is applied, from the model's state, so that
    /// counts hit range boundaries exactly as often as they fall inside or beyond them:
    /// <c>Selector</c> 0 is <c>Raw</c> modulo (bytes + 2), 1 is the total length of the first
    /// <c>Raw</c> modulo (ranges + 1) ranges, 2 is <c>Raw</c> itself, 3 is the largest count.
    /// </summary>
    public sealed record Op(OpKind Kind, int Selector, int Raw)
    {
        public override string ToString() => $"{Kind}(sel {Selector}, raw {Raw})";
    }

    public sealed record Scenario((ulong Start, ulong End)[] Ranges, Op[] Ops)
    {
        public override string ToString() =>
            $"ranges [{string.Join(", ", Ranges.Select(r => $"[0x{r.Start:x}, 0x{r.End:x})"))}] ops [{string.Join(", ", Ops.Select(o => o.ToString()))}]";
    }

    private static readonly Gen<(ulong Start, ulong End)> s_range =
        from region in Gen.Elements(0UL, 0x7FFF_0000UL, 0x8000_0000_0000_0000UL, ulong.MaxValue - 0x20000)
        from offset in Gen.Choose(0, 0x10000)
        from length in Gen.Frequency((3, Gen.Constant(0)), (6, Gen.Choose(1, 64)), (1, Gen.Choose(65, 5000)))
        select (region + (ulong)offset, region + (ulong)offset + (ulong)length);

    private static readonly Gen<(ulong Start, ulong End)[]> s_ranges =
        Gen.Choose(0, 12).SelectMany(n => Gen.ArrayOf(s_range, n));

    private static readonly Gen<Op> s_op =
        from kind in Gen.Elements(Enum.GetValues<OpKind>())
        from selector in Gen.Frequency((4, Gen.Constant(0)), (4, Gen.Constant(1)), (1, Gen.Constant(2)), (1, Gen.Constant(3)))
        from raw in Gen.Choose(0, 20_000)
        select new Op(kind, selector, raw);

    private static readonly Arbitrary<Scenario> s_scenarios = Arb.From(
        from ranges in s_ranges
        from count in Gen.Choose(0, 16)
        from ops in Gen.ArrayOf(s_op, count)
        select new Scenario(ranges, ops));

    private static AddrRange ToRange((ulong Start, ulong End) r) => new(new Addr(r.Start), new Addr(r.End));

    private static AddrRangeSeq Build((ulong Start, ulong End)[] ranges) =>
        ranges.Length == 1 ? AddrRangeSeq.Of(ToRange(ranges[0])) : AddrRangeSeq.FromArray([.. ranges.Select(ToRange)]);

    private static long ModelBytes(List<(ulong Start, ulong End)> model) => model.Sum(r => (long)(r.End - r.Start));

    // gVisor's documented DropFirst: ranges the drop reaches or passes go, and so does an empty
    // head even when n is 0; the first range with a byte left after the drop stays.
    private static void ModelDrop(List<(ulong Start, ulong End)> model, long n)
    {
        while (model.Count > 0)
        {
            (ulong start, ulong end) = model[0];
            long length = (long)(end - start);
            if (length > n)
            {
                model[0] = (start + (ulong)n, end);
                return;
            }
            n -= length;
            model.RemoveAt(0);
        }
    }

    private static void ModelTake(List<(ulong Start, ulong End)> model, long n)
    {
        long budget = n;
        for (int i = 0; i < model.Count; i++)
        {
            (ulong start, ulong end) = model[i];
            long length = Math.Min((long)(end - start), budget);
            model[i] = (start, start + (ulong)length);
            budget -= length;
        }
    }

    private static long Count(Op op, List<(ulong Start, ulong End)> model)
    {
        bool wide = op.Kind is OpKind.Drop64 or OpKind.Take64;
        return op.Selector switch
        {
            0 => op.Raw % (ModelBytes(model) + 2),
            1 => model.Take(op.Raw % (model.Count + 1)).Sum(r => (long)(r.End - r.Start)),
            2 => op.Raw,
            _ => wide ? long.MaxValue : int.MaxValue,
        };
    }

    private static void AssertMatches(List<(ulong Start, ulong End)> model, AddrRangeSeq seq, string step)
    {
        var actual = new List<(ulong, ulong)>();
        foreach (AddrRange range in seq)
        {
            actual.Add((range.Start.Value, range.End.Value));
        }
        Assert.True(model.SequenceEqual(actual), $"after {step}: model {string.Join(" ", model)} but sequence {seq}");
        Assert.Equal(model.Count, seq.NumRanges);
        Assert.Equal(ModelBytes(model), seq.NumBytes);
        Assert.Equal(model.Count == 0, seq.IsEmpty);
        if (model.Count == 0)
        {
            Assert.Throws<InvalidOperationException>(() => seq.Head);
        }
        else
        {
            Assert.Equal(ToRange(model[0]), seq.Head);
        }
    }

    [Fact]
    public void Operations_MatchTheModel() =>
        Prop.ForAll(s_scenarios, scenario =>
        {
            var model = scenario.Ranges.ToList();
            AddrRangeSeq seq = Build(scenario.Ranges);
            AssertMatches(model, seq, "construction");

            foreach (Op op in scenario.Ops)
            {
                long n = Count(op, model);
                switch (op.Kind)
                {
                    case OpKind.Drop:
                        n = Math.Min(n, int.MaxValue);
                        seq = seq.DropFirst((int)n);
                        ModelDrop(model, n);
                        break;
                    case OpKind.Drop64:
                        seq = seq.DropFirst64(n);
                        ModelDrop(model, n);
                        break;
                    case OpKind.Take:
                        n = Math.Min(n, int.MaxValue);
                        seq = seq.TakeFirst((int)n);
                        ModelTake(model, n);
                        break;
                    case OpKind.Take64:
                        seq = seq.TakeFirst64(n);
                        ModelTake(model, n);
                        break;
                    case OpKind.Tail:
                        if (model.Count == 0)
                        {
                            AddrRangeSeq empty = seq;
                            Assert.Throws<InvalidOperationException>(() => empty.Tail());
                        }
                        else
                        {
                            seq = seq.Tail();
                            model.RemoveAt(0);
                        }
                        break;
                }
                AssertMatches(model, seq, $"{op.Kind}({n})");
            }
        }).QuickCheckThrowOnFailure();

    private static readonly Arbitrary<((ulong Start, ulong End)[] Ranges, int A, int B)> s_rangesAndTwoCounts = Arb.From(
        from ranges in s_ranges
        from a in Gen.Choose(0, 6000)
        from b in Gen.Choose(0, 6000)
        select (ranges, a, b));

    [Fact]
    public void DroppingTwice_IsDroppingTheSum() =>
        Prop.ForAll(s_rangesAndTwoCounts, input =>
        {
            AddrRangeSeq seq = Build(input.Ranges);
            Assert.Equal(seq.DropFirst(input.A + input.B).ToString(), seq.DropFirst(input.A).DropFirst(input.B).ToString());
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void TakingTwice_IsTakingTheSmaller() =>
        Prop.ForAll(s_rangesAndTwoCounts, input =>
        {
            AddrRangeSeq seq = Build(input.Ranges);
            Assert.Equal(seq.TakeFirst(Math.Min(input.A, input.B)).ToString(), seq.TakeFirst(input.A).TakeFirst(input.B).ToString());
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void ByteCounts_FollowTheArithmetic() =>
        Prop.ForAll(s_rangesAndTwoCounts, input =>
        {
            AddrRangeSeq seq = Build(input.Ranges);
            long total = input.Ranges.Sum(r => (long)(r.End - r.Start));
            Assert.Equal(total, seq.NumBytes);
            Assert.Equal(Math.Max(0, total - input.A), seq.DropFirst(input.A).NumBytes);
            Assert.Equal(Math.Min(total, input.A), seq.TakeFirst(input.A).NumBytes);
            Assert.Equal(input.Ranges.Length, seq.TakeFirst(input.A).NumRanges);
        }).QuickCheckThrowOnFailure();
}
