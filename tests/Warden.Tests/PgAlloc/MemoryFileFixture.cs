using Microsoft.Win32.SafeHandles;
using Warden.HostArch;
using Warden.PgAlloc;
using Warden.SafeMem;
using Xunit;

namespace Warden.Tests.PgAlloc;

/// <summary>Helpers shared by the MemoryFile tests: small files and byte access through MapInternal or pread.</summary>
internal static class MemoryFileFixture
{
    public const ulong Page = (ulong)Arch.PageSize;
    public const ulong MiB = 1UL << 20;

    /// <summary>A file with 2 MiB chunks (so chunk boundaries are near), growing 4 MiB at a time.</summary>
    public static MemoryFile Create(ulong maxSize = 64 * MiB, ulong chunkSize = 2 * MiB, ulong growStep = 4 * MiB, bool reserve = true)
    {
        (MemoryFile? file, Warden.Errors.Error? error) = MemoryFile.Create(maxSize, chunkSize, growStep, reserve);
        Assert.Null(error);
        return file!;
    }

    public static FileRange Alloc(MemoryFile file, ulong length, AllocOpts opts = default)
    {
        (FileRange fr, Warden.Errors.Error? error) = file.Allocate(length, Warden.Platform.MemoryKind.Anonymous, opts);
        Assert.Null(error);
        Assert.Equal(length, fr.Length);
        return fr;
    }

    public static void Fill(MemoryFile file, FileRange fr, byte value)
    {
        (BlockSeq blocks, Warden.Errors.Error? error) = file.MapInternal(fr, AccessType.ReadWrite);
        Assert.Null(error);
        foreach (Block b in blocks)
        {
            b.AsSpan().Fill(value);
        }
    }

    public static byte[] ReadMapped(MemoryFile file, FileRange fr)
    {
        (BlockSeq blocks, Warden.Errors.Error? error) = file.MapInternal(fr, AccessType.ReadOnly);
        Assert.Null(error);
        var result = new byte[fr.Length];
        int at = 0;
        foreach (Block b in blocks)
        {
            b.AsSpan().CopyTo(result.AsSpan(at));
            at += b.Length;
        }
        return result;
    }

    /// <summary>Reads with pread, which (unlike a read through a mapping) commits no memory for holes.</summary>
    public static byte[] ReadFd(MemoryFile file, FileRange fr)
    {
        using var handle = new SafeFileHandle(file.FD, ownsHandle: false);
        var result = new byte[fr.Length];
        int n = RandomAccess.Read(handle, result, (long)fr.Start);
        Assert.Equal((int)fr.Length, n);
        return result;
    }

    public static bool AllZero(byte[] bytes) => bytes.AsSpan().IndexOfAnyExcept((byte)0) < 0;
}
