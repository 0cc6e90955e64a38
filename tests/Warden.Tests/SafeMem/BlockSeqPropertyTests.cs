using FsCheck;
using FsCheck.Fluent;
using Warden.SafeMem;
using Warden.Tests.Infrastructure;
using Xunit;

namespace Warden.Tests.SafeMem;

/// <summary>
/// <see cref="BlockSeq"/> against a naive model: the list of (address, length) of its non-empty
/// blocks, with each operation written the obvious way.
/// </summary>
public class BlockSeqPropertyTests
{
    // Every generated block lies in this array; blocks may overlap, which a sequence allows.
    private const int ArenaSize = 4096;
    private static readonly byte[] s_arena = PinnedArrays.Allocate(ArenaSize);
    private static readonly nint s_arenaAddress = Block.FromPinnedArray(s_arena).Address;

    public enum OpKind { Drop, Drop64, Take, Take64, Tail }

    /// <summary>
    /// One operation; its count is chosen from the model when applied: <c>Selector</c> 0 is
    /// <c>Raw</c> modulo (bytes + 2), 1 is the length of the first <c>Raw</c> modulo (blocks + 1)
    /// blocks (a block boundary), 2 is <c>Raw</c> itself, 3 is the largest count.
    /// </summary>
    public sealed record Op(OpKind Kind, int Selector, int Raw)
    {
        public override string ToString() => $"{Kind}(sel {Selector}, raw {Raw})";
    }

    public sealed record Scenario((int Offset, int Length)[] Blocks, Op[] Ops)
    {
        public override string ToString() =>
            $"blocks [{string.Join(", ", Blocks.Select(b => $"{b.Offset}+{b.Length}"))}] ops [{string.Join(", ", Ops.Select(o => o.ToString()))}]";
    }

    private static readonly Gen<(int Offset, int Length)> s_block =
        from length in Gen.Frequency((3, Gen.Constant(0)), (6, Gen.Choose(1, 64)), (1, Gen.Choose(65, 1000)))
        from offset in Gen.Choose(0, ArenaSize - length)
        select (offset, length);

    private static readonly Gen<(int Offset, int Length)[]> s_blocks =
        Gen.Choose(0, 12).SelectMany(n => Gen.ArrayOf(s_block, n));

    private static readonly Gen<Op> s_op =
        from kind in Gen.Elements(Enum.GetValues<OpKind>())
        from selector in Gen.Frequency((4, Gen.Constant(0)), (4, Gen.Constant(1)), (1, Gen.Constant(2)), (1, Gen.Constant(3)))
        from raw in Gen.Choose(0, 20_000)
        select new Op(kind, selector, raw);

    private static readonly Arbitrary<Scenario> s_scenarios = Arb.From(
        from blocks in s_blocks
        from count in Gen.Choose(0, 16)
        from ops in Gen.ArrayOf(s_op, count)
        select new Scenario(blocks, ops));

    private static Block ToBlock((int Offset, int Length) b) => Block.FromPinnedArray(s_arena, b.Offset, b.Length);

    private static BlockSeq Build((int Offset, int Length)[] blocks) =>
        blocks.Length == 1 ? BlockSeq.Of(ToBlock(blocks[0])) : BlockSeq.FromArray([.. blocks.Select(ToBlock)]);

    // The model holds (offset into the arena, length) of each block, empty ones never.
    private static List<(int Offset, int Length)> Model((int Offset, int Length)[] blocks) =>
        blocks.Where(b => b.Length != 0).ToList();

    private static ulong ModelBytes(List<(int Offset, int Length)> model) => (ulong)model.Sum(b => (long)b.Length);

    private static void ModelDrop(List<(int Offset, int Length)> model, ulong n)
    {
        while (n > 0 && model.Count > 0)
        {
            (int offset, int length) = model[0];
            if ((ulong)length > n)
            {
                model[0] = (offset + (int)n, length - (int)n);
                return;
            }
            n -= (ulong)length;
            model.RemoveAt(0);
        }
    }

    private static void ModelTake(List<(int Offset, int Length)> model, ulong n)
    {
        ulong budget = n;
        int kept = 0;
        while (kept < model.Count && budget > 0)
        {
            (int offset, int length) = model[kept];
            int taken = (int)Math.Min((ulong)length, budget);
            model[kept] = (offset, taken);
            budget -= (ulong)taken;
            kept++;
        }
        model.RemoveRange(kept, model.Count - kept);
    }

    private static ulong Count(Op op, List<(int Offset, int Length)> model)
    {
        bool wide = op.Kind is OpKind.Drop64 or OpKind.Take64;
        return op.Selector switch
        {
            0 => (ulong)op.Raw % (ModelBytes(model) + 2),
            1 => (ulong)model.Take(op.Raw % (model.Count + 1)).Sum(b => (long)b.Length),
            2 => (ulong)op.Raw,
            _ => wide ? ulong.MaxValue : int.MaxValue,
        };
    }

    private static void AssertMatches(List<(int Offset, int Length)> model, BlockSeq seq, string step)
    {
        var actual = new List<(int, int)>();
        foreach (Block block in seq)
        {
            actual.Add(((int)(block.Address - s_arenaAddress), block.Length));
        }
        Assert.True(model.SequenceEqual(actual),
            $"after {step}: model [{string.Join(" ", model)}] but sequence [{string.Join(" ", actual)}]");
        Assert.Equal(model.Count, seq.NumBlocks);
        Assert.Equal(ModelBytes(model), seq.NumBytes);
        Assert.Equal(model.Count == 0, seq.IsEmpty);
        if (model.Count == 0)
        {
            Assert.Throws<InvalidOperationException>(() => seq.Head);
        }
        else
        {
            Assert.Equal(ToBlock(model[0]), seq.Head);
        }
    }

    [Fact]
    public void Operations_MatchTheModel() =>
        Prop.ForAll(s_scenarios, scenario =>
        {
            List<(int Offset, int Length)> model = Model(scenario.Blocks);
            BlockSeq seq = Build(scenario.Blocks);
            AssertMatches(model, seq, "construction");

            foreach (Op op in scenario.Ops)
            {
                ulong n = Count(op, model);
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
                            BlockSeq empty = seq;
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

    private static readonly Arbitrary<((int Offset, int Length)[] Blocks, int A, int B)> s_blocksAndTwoCounts = Arb.From(
        from blocks in s_blocks
        from a in Gen.Choose(0, 3000)
        from b in Gen.Choose(0, 3000)
        select (blocks, a, b));

    [Fact]
    public void DropThenTake_CoversTheSameBytesAsTheModel() =>
        Prop.ForAll(s_blocksAndTwoCounts, input =>
        {
            // Fill the arena so that the bytes themselves say where they came from.
            for (int i = 0; i < ArenaSize; i++)
            {
                s_arena[i] = (byte)(i * 7 + 3);
            }
            BlockSeq seq = Build(input.Blocks).DropFirst(input.A).TakeFirst(input.B);

            var expected = new List<byte>();
            foreach ((int offset, int length) in input.Blocks)
            {
                expected.AddRange(s_arena.AsSpan(offset, length));
            }
            byte[] window = [.. expected.Skip(input.A).Take(input.B)];
            Assert.Equal(window, PinnedBuffers.Contents(seq));
            Assert.Equal((ulong)window.Length, seq.NumBytes);
        }).QuickCheckThrowOnFailure();
}
