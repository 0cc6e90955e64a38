using FsCheck;
using FsCheck.Fluent;
using Warden.Errors;
using Warden.HostArch;
using Warden.PgAlloc;
using Warden.Platform;
using Xunit;
using static Warden.Tests.PgAlloc.MemoryFileFixture;

namespace Warden.Tests.PgAlloc;

/// <summary>
/// <see cref="MemoryFile"/> against a naive model that keeps, per page, a reference count, the byte
/// the page is filled with, its kind and whether it is committed: random sequences of Allocate,
/// IncRef, DecRef and Decommit in a small file, so that placement, reuse, growth and ENOMEM all
/// occur; then usage, a checkpoint round trip, and freeing everything.
/// </summary>
public class MemoryFilePropertyTests
{
    private const int MaxPages = 64;

    public enum OpKind { Allocate, IncRef, DecRef, Decommit }

    public sealed record Op(OpKind Kind, int A, int B)
    {
        public override string ToString() => $"{Kind}({A}, {B})";
    }

    public sealed record Scenario(Op[] Ops)
    {
        public override string ToString() => string.Join(", ", Ops.Select(o => o.ToString()));
    }

    private static readonly Gen<Op> s_op =
        from kind in Gen.Frequency(
            (4, Gen.Constant(OpKind.Allocate)),
            (2, Gen.Constant(OpKind.IncRef)),
            (4, Gen.Constant(OpKind.DecRef)),
            (1, Gen.Constant(OpKind.Decommit)))
        from a in Gen.Choose(0, 1000)
        from b in Gen.Choose(0, 1000)
        select new Op(kind, a, b);

    private static Arbitrary<Scenario> Scenarios(int maxOps) => Arb.From(
        from count in Gen.Choose(1, maxOps)
        from ops in Gen.ArrayOf(s_op, count)
        select new Scenario(ops));

    private sealed class Model
    {
        public readonly int[] Refs = new int[MaxPages];
        public readonly byte[] Content = new byte[MaxPages];
        public readonly bool[] Committed = new bool[MaxPages];
        public readonly MemoryKind[] Kinds = new MemoryKind[MaxPages];

        // The first page of the lowest run of `pages` free pages, or -1.
        public int FirstFit(int pages)
        {
            int run = 0;
            for (int p = 0; p < MaxPages; p++)
            {
                run = Refs[p] == 0 ? run + 1 : 0;
                if (run == pages)
                {
                    return p - pages + 1;
                }
            }
            return -1;
        }

        // A run of referenced pages chosen by a and b, or null if no page is referenced.
        public (int First, int Count)? PickReferenced(int a, int b)
        {
            int referenced = Refs.Count(r => r > 0);
            if (referenced == 0)
            {
                return null;
            }
            int nth = a % referenced;
            int first = -1;
            for (int p = 0; p < MaxPages; p++)
            {
                if (Refs[p] > 0 && nth-- == 0)
                {
                    first = p;
                    break;
                }
            }
            int count = 1;
            int want = (b % 6) + 1;
            while (count < want && first + count < MaxPages && Refs[first + count] > 0)
            {
                count++;
            }
            return (first, count);
        }
    }

    private static FileRange Pages(int first, int count) => new((ulong)first * Page, (ulong)(first + count) * Page);

    private static bool Run(Scenario scenario)
    {
        using MemoryFile file = Create(maxSize: MaxPages * Page, chunkSize: 2 * MiB, growStep: 16 * Page);
        var model = new Model();
        byte fill = 0;
        foreach (Op op in scenario.Ops)
        {
            switch (op.Kind)
            {
                case OpKind.Allocate:
                {
                    int pages = (op.A % 8) + 1;
                    MemoryKind kind = op.B % 2 == 0 ? MemoryKind.Anonymous : MemoryKind.PageCache;
                    int expected = model.FirstFit(pages);
                    (FileRange fr, Error? error) = file.Allocate((ulong)pages * Page, kind);
                    if (expected < 0)
                    {
                        Assert.Same(Errno.ENOMEM, error);
                        break;
                    }
                    Assert.Null(error);
                    Assert.Equal(Pages(expected, pages), fr);
                    Assert.True(AllZero(ReadFd(file, fr)), $"{fr} not zero when allocated");
                    fill = (byte)((fill % 250) + 1);
                    Fill(file, fr, fill);
                    for (int p = expected; p < expected + pages; p++)
                    {
                        model.Refs[p] = 1;
                        model.Content[p] = fill;
                        model.Committed[p] = true;
                        model.Kinds[p] = kind;
                    }
                    break;
                }
                case OpKind.IncRef:
                    if (model.PickReferenced(op.A, op.B) is (int first, int count))
                    {
                        file.IncRef(Pages(first, count), 0);
                        for (int p = first; p < first + count; p++)
                        {
                            model.Refs[p]++;
                        }
                    }
                    break;
                case OpKind.DecRef:
                    if (model.PickReferenced(op.A, op.B) is (int first2, int count2))
                    {
                        file.DecRef(Pages(first2, count2));
                        for (int p = first2; p < first2 + count2; p++)
                        {
                            if (--model.Refs[p] == 0)
                            {
                                model.Content[p] = 0;
                                model.Committed[p] = false;
                            }
                        }
                    }
                    break;
                case OpKind.Decommit:
                    if (model.PickReferenced(op.A, op.B) is (int first3, int count3))
                    {
                        Assert.Null(file.Decommit(Pages(first3, count3)));
                        for (int p = first3; p < first3 + count3; p++)
                        {
                            model.Content[p] = 0;
                            model.Committed[p] = false;
                        }
                    }
                    break;
            }
            for (int p = 0; p < MaxPages; p++)
            {
                Assert.Equal(model.Refs[p], file.RefCount((ulong)p * Page));
            }
        }

        // Contents of every page in the file, and usage per kind.
        int filePages = (int)(file.TotalSize / Page);
        byte[] bytes = filePages == 0 ? [] : ReadFd(file, Pages(0, filePages));
        ulong anonymous = 0, pageCache = 0;
        for (int p = 0; p < MaxPages; p++)
        {
            if (p < filePages)
            {
                Assert.True(bytes.AsSpan(p * (int)Page, (int)Page).IndexOfAnyExcept(model.Content[p]) < 0, $"page {p} does not hold {model.Content[p]}");
            }
            if (model.Refs[p] > 0 && model.Committed[p])
            {
                if (model.Kinds[p] == MemoryKind.Anonymous)
                {
                    anonymous += Page;
                }
                else
                {
                    pageCache += Page;
                }
            }
        }
        Assert.Null(file.UpdateUsage());
        Assert.Equal(anonymous, file.Accounting.Get(MemoryKind.Anonymous));
        Assert.Equal(pageCache, file.Accounting.Get(MemoryKind.PageCache));

        // A checkpoint restores the same counts and contents in a fresh file.
        var image = new MemoryStream();
        Assert.Null(file.SaveTo(image));
        image.Position = 0;
        using (MemoryFile restored = Create(maxSize: MaxPages * Page, chunkSize: 2 * MiB, growStep: 16 * Page))
        {
            Assert.Null(restored.LoadFrom(image));
            for (int p = 0; p < MaxPages; p++)
            {
                Assert.Equal(model.Refs[p], restored.RefCount((ulong)p * Page));
            }
            if (filePages > 0)
            {
                Assert.Equal(bytes, ReadFd(restored, Pages(0, filePages)));
            }
        }

        // Freeing everything leaves no usage and no segments.
        for (int p = 0; p < MaxPages; p++)
        {
            while (model.Refs[p]-- > 0)
            {
                file.DecRef(Pages(p, 1));
            }
        }
        Assert.Equal(0, file.SegmentCount);
        Assert.Equal(0UL, file.TotalUsage().Usage);
        return true;
    }

    [Fact]
    public void RandomSequences_AgreeWithTheModel()
    {
        Prop.ForAll(Scenarios(80), Run).QuickCheckThrowOnFailure();
    }
}
