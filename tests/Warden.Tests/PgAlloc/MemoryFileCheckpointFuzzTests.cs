using System.Buffers.Binary;
using Warden.Errors;
using Warden.HostArch;
using Warden.PgAlloc;
using Warden.Platform;
using Xunit;
using static Warden.Tests.PgAlloc.MemoryFileFixture;

namespace Warden.Tests.PgAlloc;

/// <summary>
/// A checkpoint image cannot be weaponised: whatever the stream holds (flips, truncations, garbage,
/// a header claiming millions of segments, bytes in reserved fields or after the end), loading
/// either restores the image exactly or fails cleanly, leaves the target empty, and allocates in
/// proportion to what the stream really delivered, never to what it claims.
/// </summary>
public sealed class MemoryFileCheckpointFuzzTests
{
    private const long AllocationBound = 4L << 20;

    private static byte[] Image()
    {
        using MemoryFile source = Create(maxSize: 1UL << 40, chunkSize: 2 * MiB);
        FileRange a = Alloc(source, 64 * Page);
        Alloc(source, 8 * Page, new AllocOpts(Direction: AllocDirection.TopDown));
        Fill(source, new FileRange(a.Start, a.Start + 3 * Page), 0x5a);
        var stream = new MemoryStream();
        Assert.Null(source.SaveTo(stream));
        return stream.ToArray();
    }

    // Loads `image` into a fresh file; returns the error and the bytes this thread allocated for it.
    private static (Error? Error, long Allocated, MemoryFile Target) Load(byte[] image)
    {
        MemoryFile target = Create(maxSize: 1UL << 40, chunkSize: 2 * MiB);
        var stream = new MemoryStream(image, writable: false);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Error? error = target.LoadFrom(stream);
        return (error, GC.GetAllocatedBytesForCurrentThread() - before, target);
    }

    private static void AssertRejectedCleanly(byte[] image, string what)
    {
        (Error? error, long allocated, MemoryFile target) = Load(image);
        using (target)
        {
            Assert.True(error is CheckpointError, $"{what}: expected a CheckpointError, got {error?.ToString() ?? "success"}");
            Assert.True(allocated < AllocationBound, $"{what}: loading allocated {allocated} bytes");
            Assert.Equal(0, target.SegmentCount);
            Assert.Equal(0UL, target.TotalSize);
        }
    }

    private static byte[] Header(uint version, uint flags, ulong fileSize, ulong count)
    {
        byte[] header = new byte[40];
        "WRDNMEMF"u8.CopyTo(header);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), version);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(12), flags);
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(16), fileSize);
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(24), count);
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(32), MemoryFile.Checksum(header.AsSpan(0, 32)));
        return header;
    }

    [Fact]
    public void AHeaderClaimingMillionsOfSegments_IsRejected_WithoutAllocatingForThem()
    {
        // A valid checksum, a count of 67 million (a 2 GiB table), and then a few records' worth of bytes.
        byte[] header = Header(1, 0, 1UL << 40, 67_000_000);
        byte[] image = [.. header, .. new byte[4096]];
        AssertRejectedCleanly(image, "huge count");
        AssertRejectedCleanly(header, "huge count, no table");
    }

    [Fact]
    public void UndefinedFlags_ReservedFields_AndTrailingBytes_AreRejected()
    {
        byte[] image = Image();
        Assert.Null(Load(image).Error);

        byte[] flagged = (byte[])image.Clone();
        Header(1, 1, BinaryPrimitives.ReadUInt64LittleEndian(image.AsSpan(16)), BinaryPrimitives.ReadUInt64LittleEndian(image.AsSpan(24))).CopyTo(flagged, 0);
        AssertRejectedCleanly(flagged, "flags");

        // The first segment record's reserved word, with the table's checksum made to match.
        byte[] reserved = (byte[])image.Clone();
        int count = (int)BinaryPrimitives.ReadUInt64LittleEndian(image.AsSpan(24));
        BinaryPrimitives.WriteUInt32LittleEndian(reserved.AsSpan(40 + 28), 1);
        BinaryPrimitives.WriteUInt64LittleEndian(reserved.AsSpan(40 + count * 32), MemoryFile.Checksum(reserved.AsSpan(40, count * 32)));
        AssertRejectedCleanly(reserved, "reserved field");

        AssertRejectedCleanly([.. image, 0], "a trailing byte");
    }

    [Fact]
    public void RandomFlipsTruncationsAndGarbage_AreAllRejectedCleanly()
    {
        byte[] image = Image();
        var random = new Random(20261203);
        for (int i = 0; i < 300; i++)
        {
            byte[] bad = (byte[])image.Clone();
            string what;
            switch (i % 3)
            {
                case 0:
                    int at = random.Next(bad.Length);
                    bad[at] ^= (byte)(1 << random.Next(8));
                    what = $"bit flip at {at}";
                    break;
                case 1:
                    int length = random.Next(bad.Length);
                    bad = bad[..length];
                    what = $"truncated to {length}";
                    break;
                default:
                    int from = random.Next(40, bad.Length);
                    random.NextBytes(bad.AsSpan(from, Math.Min(64, bad.Length - from)));
                    what = $"garbage at {from}";
                    break;
            }
            if (bad.AsSpan().SequenceEqual(image))
            {
                continue;
            }
            AssertRejectedCleanly(bad, what);
        }
    }

    [Fact]
    public void AfterARejectedLoad_TheSameTargetLoadsAGoodImage()
    {
        byte[] image = Image();
        using MemoryFile target = Create(maxSize: 1UL << 40, chunkSize: 2 * MiB);
        Assert.IsType<CheckpointError>(target.LoadFrom(new MemoryStream(Header(1, 0, 1UL << 40, 67_000_000))));
        Assert.Null(target.LoadFrom(new MemoryStream(image)));
        Assert.Equal(2, target.SegmentCount);
    }
}
