using FsCheck;
using FsCheck.Fluent;
using Warden.Errors;
using Warden.HostArch;
using Warden.Platform;
using Warden.Platforms.SoftMmu;
using Xunit;

namespace Warden.Tests.Platforms.SoftMmu;

/// <summary>
/// The page table and its I/O against a per-page model: a dictionary from address page to (file,
/// file page, permissions), and a byte array per file.
/// </summary>
/// <remarks>
/// <para>
/// Random sequences of MapFile, Unmap, CopyIn, CopyOut and ZeroOut run over a window of
/// <see cref="WindowPages"/> pages. After every step, every page of the window (and one on each side)
/// must look up as the model says, <see cref="SoftMmuAddressSpace.MappedBytes"/> must count the model's
/// pages, and <see cref="SoftMmuAddressSpace.GetMappings"/> must be maximal (no two abutting runs that
/// could join) and agree with the lookups.
/// </para>
/// <para>
/// The model of a copy walks byte by byte from its address: it succeeds while the page is mapped with
/// the access needed, and otherwise stops with a fault at that byte. The count, the fault address, the
/// bytes read and the files' contents afterwards must all be the model's.
/// </para>
/// </remarks>
public class SoftMmuPageTablePropertyTests
{
    private const ulong P = TwoFiles.P;
    private const int WindowPages = 24;
    private static readonly Addr s_base = new(0x200000);

    private static readonly AccessType[] s_perms =
        [AccessType.ReadOnly, AccessType.WriteOnly, AccessType.ReadWrite, AccessType.ReadExecute, AccessType.AnyAccess];

    public enum OpKind { Map, Unmap, CopyIn, CopyOut, ZeroOut }

    /// <summary>One operation; its raw numbers are interpreted by <see cref="Run"/>.</summary>
    public sealed record Op(OpKind Kind, int A, int B, int C, int D, int E)
    {
        public override string ToString() => $"{Kind}({A}, {B}, {C}, {D}, {E})";
    }

    private static readonly Gen<Op> s_op =
        from kind in Gen.Frequency(
            (5, Gen.Constant(OpKind.Map)),
            (2, Gen.Constant(OpKind.Unmap)),
            (3, Gen.Constant(OpKind.CopyIn)),
            (2, Gen.Constant(OpKind.CopyOut)),
            (1, Gen.Constant(OpKind.ZeroOut)))
        from a in Gen.Choose(0, 10_000)
        from b in Gen.Choose(0, 10_000)
        from c in Gen.Choose(0, 10_000)
        from d in Gen.Choose(0, 10_000)
        from e in Gen.Choose(0, 10_000)
        select new Op(kind, a, b, c, d, e);

    private static readonly Arbitrary<Op[]> s_scenarios = Arb.From(
        from count in Gen.Choose(0, 60)
        from ops in Gen.ArrayOf(s_op, count)
        select ops);

    private readonly record struct ModelPage(int File, ulong FilePage, AccessType Perms);

    private sealed class Harness : IDisposable
    {
        public readonly TwoFiles Files = new();
        public readonly SoftMmuAddressSpace As;
        public readonly Dictionary<ulong, ModelPage> Pages = [];
        public readonly byte[][] Contents;
        public readonly List<Op> Done = [];

        public Harness()
        {
            As = new SoftMmuPlatform(Files.A).NewSoftMmuAddressSpace();
            Contents = [Files.Read(0, new FileRange(0, TwoFiles.Pages * P)), Files.Read(1, new FileRange(0, TwoFiles.Pages * P))];
        }

        public string Trace() => string.Join("\n  ", Done);

        public void Dispose() => Files.Dispose();
    }

    private static ulong PageOf(Addr a) => (a.Value - s_base.Value) / P;

    // Addresses for copies: from a page below the window to a page above it, any byte.
    private static Addr CopyAddr(int raw) => new(s_base.Value - P + ((ulong)raw * 397 % ((WindowPages + 2) * P)));

    private static void Run(Harness h, Op op)
    {
        h.Done.Add(op);
        switch (op.Kind)
        {
            case OpKind.Map:
            {
                int start = op.A % WindowPages;
                int count = 1 + (op.B % Math.Min(8, WindowPages - start));
                int file = op.C % 2;
                // Offsets cluster so that neighbouring maps are often contiguous and merge.
                int filePage = op.D % 3 == 0 ? start : op.D % (TwoFiles.Pages - count + 1);
                AccessType perms = s_perms[op.E % s_perms.Length];
                Assert.Null(h.As.MapFile(s_base + ((ulong)start * P), h.Files.Files[file],
                    new FileRange((ulong)filePage * P, (ulong)(filePage + count) * P), perms, precommit: op.E % 2 == 0));
                for (int i = 0; i < count; i++)
                {
                    h.Pages[(ulong)(start + i)] = new ModelPage(file, (ulong)(filePage + i), perms);
                }
                break;
            }
            case OpKind.Unmap:
            {
                int start = op.A % WindowPages;
                ulong length = 1 + ((ulong)op.B % (8 * P));
                h.As.Unmap(s_base + ((ulong)start * P), length);
                ulong pages = (length + P - 1) / P;
                for (ulong i = 0; i < pages; i++)
                {
                    h.Pages.Remove((ulong)start + i);
                }
                break;
            }
            case OpKind.CopyIn:
            {
                Addr addr = CopyAddr(op.A);
                var dst = new byte[op.B % (3 * (int)P)];
                (int n, Error? error) = h.As.CopyIn(addr, dst);
                (ulong expected, byte[] bytes) = ModelWalk(h, addr, (ulong)dst.Length, AccessType.ReadOnly, null);
                AssertResult(h, addr, (ulong)dst.Length, expected, (ulong)n, error);
                Assert.True(bytes.AsSpan().SequenceEqual(dst.AsSpan(0, n)), $"CopyIn read the wrong bytes\n  {h.Trace()}");
                break;
            }
            case OpKind.CopyOut:
            {
                Addr addr = CopyAddr(op.A);
                byte[] src = Enumerable.Range(0, op.B % (3 * (int)P)).Select(i => (byte)(op.C + i)).ToArray();
                (int n, Error? error) = h.As.CopyOut(addr, src);
                (ulong expected, _) = ModelWalk(h, addr, (ulong)src.Length, AccessType.WriteOnly, src);
                AssertResult(h, addr, (ulong)src.Length, expected, (ulong)n, error);
                break;
            }
            case OpKind.ZeroOut:
            {
                Addr addr = CopyAddr(op.A);
                ulong length = (ulong)(op.B % (3 * (int)P));
                (ulong n, Error? error) = h.As.ZeroOut(addr, length);
                (ulong expected, _) = ModelWalk(h, addr, length, AccessType.WriteOnly, new byte[length]);
                AssertResult(h, addr, length, expected, n, error);
                break;
            }
        }
    }

    // Walks the model: returns how many bytes the access reaches and, for reads, those bytes; for
    // writes (src non-null) applies them to the model's file contents.
    private static (ulong Count, byte[] Bytes) ModelWalk(Harness h, Addr addr, ulong length, AccessType at, byte[]? src)
    {
        var bytes = new List<byte>();
        ulong i = 0;
        for (; i < length; i++)
        {
            Addr a = addr + i;
            if (a < s_base || !h.Pages.TryGetValue(PageOf(a), out ModelPage page) || !page.Perms.SupersetOf(at))
            {
                break;
            }
            ulong offset = (page.FilePage * P) + a.PageOffset;
            if (src is null)
            {
                bytes.Add(h.Contents[page.File][offset]);
            }
            else
            {
                h.Contents[page.File][offset] = src[i];
            }
        }
        return (i, bytes.ToArray());
    }

    private static void AssertResult(Harness h, Addr addr, ulong length, ulong expected, ulong count, Error? error)
    {
        Assert.True(expected == count, $"count {count}, model {expected}\n  {h.Trace()}");
        if (expected == length)
        {
            Assert.True(error is null, $"unexpected {error}\n  {h.Trace()}");
        }
        else
        {
            var fault = error as SegmentationFault;
            Assert.True(fault is not null && fault.Addr == addr + expected, $"expected a fault at {addr + expected}, got {error}\n  {h.Trace()}");
        }
    }

    private static void AssertMatchesModel(Harness h)
    {
        ulong mappedPages = 0;
        for (long page = -1; page <= WindowPages; page++)
        {
            Addr a = new(s_base.Value + (ulong)(page * (long)P) + (ulong)(page & 0xff));
            SoftMmuLookup hit = h.As.Lookup(a);
            if (page >= 0 && h.Pages.TryGetValue((ulong)page, out ModelPage m))
            {
                mappedPages++;
                Assert.True(hit.Mapped, $"page {page} should be mapped\n  {h.Trace()}");
                Assert.Same(h.Files.Files[m.File], hit.File);
                Assert.Equal((m.FilePage * P) + a.PageOffset, hit.Offset);
                Assert.Equal(m.Perms, hit.Perms);
                Assert.True(hit.Range.Start <= a && a < hit.Range.End);
            }
            else
            {
                Assert.False(hit.Mapped, $"page {page} should be unmapped\n  {h.Trace()}");
            }
        }
        Assert.Equal(mappedPages * P, h.As.MappedBytes);

        SoftMmuMapping[] runs = h.As.GetMappings();
        Assert.Equal(mappedPages * P, (ulong)runs.Sum(r => (long)(r.Range.End - r.Range.Start)));
        for (int i = 1; i < runs.Length; i++)
        {
            SoftMmuMapping prev = runs[i - 1], next = runs[i];
            Assert.True(prev.Range.End <= next.Range.Start);
            bool joinable = prev.Range.End == next.Range.Start && ReferenceEquals(prev.File, next.File)
                && prev.Perms == next.Perms && prev.Offset + (prev.Range.End - prev.Range.Start) == next.Offset;
            Assert.False(joinable, $"runs {prev} and {next} should have merged\n  {h.Trace()}");
        }
    }

    [Fact]
    public void PageTableAndIO_MatchThePerPageModel() =>
        Prop.ForAll(s_scenarios, ops =>
        {
            using var h = new Harness();
            foreach (Op op in ops)
            {
                Run(h, op);
                AssertMatchesModel(h);
            }
            for (int f = 0; f < 2; f++)
            {
                Assert.True(h.Contents[f].AsSpan().SequenceEqual(h.Files.Read(f, new FileRange(0, TwoFiles.Pages * P))),
                    $"file {f} differs from the model\n  {h.Trace()}");
            }
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void UnmappingEverything_LeavesAnEmptyTable() =>
        Prop.ForAll(s_scenarios, ops =>
        {
            using var h = new Harness();
            foreach (Op op in ops.Where(o => o.Kind == OpKind.Map))
            {
                Run(h, op);
            }
            h.As.Unmap(s_base, WindowPages * P);
            Assert.Empty(h.As.GetMappings());
            Assert.Equal(0UL, h.As.MappedBytes);
        }).QuickCheckThrowOnFailure();
}
