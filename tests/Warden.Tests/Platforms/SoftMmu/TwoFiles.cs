using Warden.HostArch;
using Warden.Platform;
using Warden.SafeMem;
using Warden.Tests.Infrastructure;
using Xunit;

namespace Warden.Tests.Platforms.SoftMmu;

/// <summary>
/// Two <see cref="TestMemoryFile"/>s, wholly allocated, each byte holding <see cref="Pattern"/> of its
/// file and offset, so a byte read back says where it came from.
/// </summary>
internal sealed class TwoFiles : IDisposable
{
    public const ulong P = (ulong)Arch.PageSize;
    public const int Pages = 64;

    public TwoFiles()
    {
        Files = [new TestMemoryFile(Pages * P), new TestMemoryFile(Pages * P)];
        for (int f = 0; f < 2; f++)
        {
            (FileRange fr, Warden.Errors.Error? error) = Files[f].Allocate(Pages * P, MemoryKind.Anonymous);
            Assert.Null(error);
            Assert.Equal(new FileRange(0, Pages * P), fr);
            (BlockSeq blocks, error) = Files[f].MapInternal(fr, AccessType.ReadWrite);
            Assert.Null(error);
            Span<byte> bytes = blocks.Head.AsSpan();
            for (int i = 0; i < bytes.Length; i++)
            {
                bytes[i] = Pattern(f, (ulong)i);
            }
            Files[f].MapInternalCalls.Clear();
        }
    }

    public TestMemoryFile[] Files { get; }

    public TestMemoryFile A => Files[0];

    public TestMemoryFile B => Files[1];

    /// <summary>The initial byte at <paramref name="offset"/> of file <paramref name="file"/>: differs between files and between neighbouring offsets and pages.</summary>
    public static byte Pattern(int file, ulong offset) => (byte)((offset * 7) + ((offset >> 12) * 31) + ((ulong)file * 101) + 1);

    /// <summary>Reads the file's current bytes at <paramref name="fr"/>.</summary>
    public byte[] Read(int file, FileRange fr) => Files[file].Read(fr);

    public void Dispose()
    {
        foreach (TestMemoryFile f in Files)
        {
            f.Dispose();
        }
    }
}
