using Microsoft.Win32.SafeHandles;
using Warden.Errors;
using Warden.SafeMem;
using Warden.Tests.Infrastructure;
using Xunit;

namespace Warden.Tests.SafeMem;

public sealed class HostFileReaderWriterTests : IDisposable
{
    // Linux's IOV_MAX: one readv/writev takes at most this many buffers.
    private const int LinuxIovMax = 1024;

    private readonly string _dir = Directory.CreateTempSubdirectory("warden-hostfile-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static byte[] Data(int length, int seed = 1) => [.. Enumerable.Range(seed, length).Select(i => (byte)(i * 31))];

    private string FileWith(byte[] contents)
    {
        string path = Path.Combine(_dir, Guid.NewGuid().ToString("N"));
        File.WriteAllBytes(path, contents);
        return path;
    }

    private static SafeFileHandle Open(string path, FileMode mode, FileAccess access) =>
        File.OpenHandle(path, mode, access);

    // ---- HostFileReader ----

    [Fact]
    public void Preadv_ReadsAtTheOffsetAndAdvancesIt()
    {
        byte[] data = Data(100);
        using SafeFileHandle fd = Open(FileWith(data), FileMode.Open, FileAccess.Read);
        var reader = new HostFileReader(fd, 10);
        byte[] dst = PinnedArrays.Allocate(20);

        Assert.Equal((20UL, (Error?)null), reader.ReadToBlocks(PinnedBuffers.Split(dst, 7, 13)));
        Assert.Equal(data[10..30], dst);
        Assert.Equal(30, reader.Offset);

        Assert.Equal((20UL, (Error?)null), reader.ReadToBlocks(PinnedBuffers.Split(dst, 20)));
        Assert.Equal(data[30..50], dst);
        Assert.Equal(50, reader.Offset);
    }

    [Fact]
    public void Preadv_DoesNotMoveTheFilePosition()
    {
        byte[] data = Data(64);
        using SafeFileHandle fd = Open(FileWith(data), FileMode.Open, FileAccess.Read);
        byte[] dst = PinnedArrays.Allocate(8);

        new HostFileReader(fd, 40).ReadToBlocks(PinnedBuffers.Split(dst, 8));
        new HostFileReader(fd).ReadToBlocks(PinnedBuffers.Split(dst, 8));

        Assert.Equal(data[..8], dst);
    }

    [Fact]
    public void Readv_ReadsAtTheFilePosition()
    {
        byte[] data = Data(64);
        using SafeFileHandle fd = Open(FileWith(data), FileMode.Open, FileAccess.Read);
        var reader = new HostFileReader(fd);
        byte[] first = PinnedArrays.Allocate(8);
        byte[] second = PinnedArrays.Allocate(8);

        Assert.Equal((8UL, (Error?)null), reader.ReadToBlocks(PinnedBuffers.Split(first, 3, 5)));
        Assert.Equal((8UL, (Error?)null), reader.ReadToBlocks(PinnedBuffers.Split(second, 8)));

        Assert.Equal(data[..8], first);
        Assert.Equal(data[8..16], second);
        Assert.Equal(-1, reader.Offset);
    }

    [Fact]
    public void ShortReadNearTheEnd_HasNoError_ThenEndOfStream()
    {
        byte[] data = Data(50);
        using SafeFileHandle fd = Open(FileWith(data), FileMode.Open, FileAccess.Read);
        var reader = new HostFileReader(fd, 45);
        byte[] dst = PinnedArrays.Allocate(10);

        Assert.Equal((5UL, (Error?)null), reader.ReadToBlocks(PinnedBuffers.Split(dst, 10)));
        Assert.Equal(data[45..], dst[..5]);
        Assert.Equal(50, reader.Offset);

        Assert.Equal((0UL, (Error?)WellKnownErrors.EndOfStream), reader.ReadToBlocks(PinnedBuffers.Split(dst, 10)));
        Assert.Equal(50, reader.Offset);
    }

    [Fact]
    public void ReadPastTheEnd_IsEndOfStream()
    {
        using SafeFileHandle fd = Open(FileWith(Data(10)), FileMode.Open, FileAccess.Read);
        Assert.Equal((0UL, (Error?)WellKnownErrors.EndOfStream), new HostFileReader(fd, 1000).ReadToBlocks(PinnedBuffers.Split(PinnedArrays.Allocate(4), 4)));
    }

    [Fact]
    public void ReadFull_OverAShortFile_EndsWithEndOfStream()
    {
        byte[] data = Data(30);
        using SafeFileHandle fd = Open(FileWith(data), FileMode.Open, FileAccess.Read);
        byte[] dst = PinnedArrays.Allocate(40);

        (ulong n, Error? error) = new HostFileReader(fd, 0).ReadFullToBlocks(PinnedBuffers.Split(dst, 40));

        Assert.Equal(30UL, n);
        Assert.Same(WellKnownErrors.EndOfStream, error);
        Assert.Equal(data, dst[..30]);
    }

    [Fact]
    public void ReadingAWriteOnlyHandle_IsEBADF()
    {
        using SafeFileHandle fd = Open(FileWith(Data(10)), FileMode.Open, FileAccess.Write);
        byte[] dst = PinnedArrays.Allocate(4);

        Assert.Equal((0UL, (Error?)Errno.EBADF), new HostFileReader(fd).ReadToBlocks(PinnedBuffers.Split(dst, 4)));
        var positioned = new HostFileReader(fd, 0);
        Assert.Equal((0UL, (Error?)Errno.EBADF), positioned.ReadToBlocks(PinnedBuffers.Split(dst, 4)));
        Assert.Equal(0, positioned.Offset);
    }

    [Fact]
    public void ReadingNothing_MakesNoCall()
    {
        using SafeFileHandle fd = Open(FileWith(Data(10)), FileMode.Open, FileAccess.Write);
        Assert.Equal((0UL, (Error?)null), new HostFileReader(fd).ReadToBlocks(BlockSeq.Empty));
    }

    [Fact]
    public void ManyBlocks_OneCallTakesAtMostIovMaxBlocks_ReadFullTakesAll()
    {
        const int blocks = 2000;
        const int blockSize = 3;
        byte[] data = Data(blocks * blockSize);
        using SafeFileHandle fd = Open(FileWith(data), FileMode.Open, FileAccess.Read);
        byte[] dst = PinnedArrays.Allocate(blocks * blockSize);
        BlockSeq seq = PinnedBuffers.Split(dst, Enumerable.Repeat(blockSize, blocks).ToArray());
        Assert.Equal(blocks, seq.NumBlocks);

        (ulong n, Error? error) = new HostFileReader(fd, 0).ReadToBlocks(seq);
        Assert.Null(error);
        Assert.Equal((ulong)(LinuxIovMax * blockSize), n);
        Assert.Equal(data[..(LinuxIovMax * blockSize)], dst[..(LinuxIovMax * blockSize)]);

        Array.Clear(dst);
        var reader = new HostFileReader(fd, 0);
        Assert.Equal(((ulong)data.Length, (Error?)null), reader.ReadFullToBlocks(seq));
        Assert.Equal(data, dst);
        Assert.Equal(data.Length, reader.Offset);
    }

    // ---- HostFileWriter ----

    [Fact]
    public void Pwritev_WritesAtTheOffsetAndAdvancesIt()
    {
        string path = FileWith(new byte[40]);
        byte[] src = PinnedBuffers.Pattern(12, seed: 100);
        using (SafeFileHandle fd = Open(path, FileMode.Open, FileAccess.Write))
        {
            var writer = new HostFileWriter(fd, 5);
            Assert.Equal((12UL, (Error?)null), writer.WriteFromBlocks(PinnedBuffers.Split(src, 4, 8)));
            Assert.Equal(17, writer.Offset);
            Assert.Equal((3UL, (Error?)null), writer.WriteFromBlocks(PinnedBuffers.Split(src, 3)));
            Assert.Equal(20, writer.Offset);
        }

        byte[] expected = new byte[40];
        src.CopyTo(expected, 5);
        src.AsSpan(0, 3).CopyTo(expected.AsSpan(17));
        Assert.Equal(expected, File.ReadAllBytes(path));
    }

    [Fact]
    public void Pwritev_PastTheEnd_ExtendsTheFile()
    {
        string path = FileWith([1, 2]);
        using (SafeFileHandle fd = Open(path, FileMode.Open, FileAccess.ReadWrite))
        {
            new HostFileWriter(fd, 6).WriteFromBlocks(PinnedBuffers.Split(PinnedBuffers.Pattern(2, seed: 9), 2));
        }
        Assert.Equal(new byte[] { 1, 2, 0, 0, 0, 0, 9, 10 }, File.ReadAllBytes(path));
    }

    [Fact]
    public void Writev_WritesAtTheFilePosition()
    {
        string path = Path.Combine(_dir, "sequential");
        byte[] src = PinnedBuffers.Pattern(10, seed: 20);
        using (SafeFileHandle fd = Open(path, FileMode.CreateNew, FileAccess.Write))
        {
            var writer = new HostFileWriter(fd);
            Assert.Equal((4UL, (Error?)null), writer.WriteFromBlocks(PinnedBuffers.Split(src, 1, 3)));
            Assert.Equal((6UL, (Error?)null), writer.WriteFromBlocks(PinnedBuffers.Split(src, 4, 6).DropFirst(4)));
            Assert.Equal(-1, writer.Offset);
        }
        Assert.Equal(src, File.ReadAllBytes(path));
    }

    [Fact]
    public void WritingAReadOnlyHandle_IsEBADF()
    {
        string path = FileWith(Data(4));
        using SafeFileHandle fd = Open(path, FileMode.Open, FileAccess.Read);
        BlockSeq src = PinnedBuffers.Split(PinnedBuffers.Pattern(4), 4);

        Assert.Equal((0UL, (Error?)Errno.EBADF), new HostFileWriter(fd).WriteFromBlocks(src));
        var positioned = new HostFileWriter(fd, 0);
        Assert.Equal((0UL, (Error?)Errno.EBADF), positioned.WriteFromBlocks(src));
        Assert.Equal(0, positioned.Offset);
        Assert.Equal(Data(4), File.ReadAllBytes(path));
    }

    [Fact]
    public void ManyBlocks_OneWriteTakesAtMostIovMaxBlocks_WriteFullTakesAll()
    {
        const int blocks = 2000;
        const int blockSize = 3;
        string path = Path.Combine(_dir, "many");
        byte[] src = PinnedBuffers.Pattern(blocks * blockSize, seed: 77);
        BlockSeq seq = PinnedBuffers.Split(src, Enumerable.Repeat(blockSize, blocks).ToArray());

        using (SafeFileHandle fd = Open(path, FileMode.CreateNew, FileAccess.Write))
        {
            (ulong n, Error? error) = new HostFileWriter(fd, 0).WriteFromBlocks(seq);
            Assert.Null(error);
            Assert.Equal((ulong)(LinuxIovMax * blockSize), n);
        }
        Assert.Equal(src[..(LinuxIovMax * blockSize)], File.ReadAllBytes(path));

        using (SafeFileHandle fd = Open(path, FileMode.Truncate, FileAccess.Write))
        {
            var writer = new HostFileWriter(fd);
            Assert.Equal(((ulong)src.Length, (Error?)null), writer.WriteFullFromBlocks(seq));
        }
        Assert.Equal(src, File.ReadAllBytes(path));
    }

    [Fact]
    public void Constructors_CheckTheirArguments()
    {
        using SafeFileHandle fd = Open(FileWith(Data(1)), FileMode.Open, FileAccess.Read);
        Assert.Throws<ArgumentNullException>(() => new HostFileReader(null!));
        Assert.Throws<ArgumentNullException>(() => new HostFileReader(null!, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HostFileReader(fd, -1));
        Assert.Throws<ArgumentNullException>(() => new HostFileWriter(null!));
        Assert.Throws<ArgumentNullException>(() => new HostFileWriter(null!, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HostFileWriter(fd, -1));
        Assert.Equal(-1, new HostFileReader(fd).Offset);
        Assert.Equal(7, new HostFileWriter(fd, 7).Offset);
    }

    // ---- Pipes ----

    [Fact]
    public void Pipe_ShortReadThenEndOfStreamWhenTheWriterCloses()
    {
        using HostPipe pipe = HostPipe.Create();
        byte[] src = PinnedBuffers.Pattern(10, seed: 60);
        Assert.Equal((10UL, (Error?)null), new HostFileWriter(pipe.Write).WriteFromBlocks(PinnedBuffers.Split(src, 6, 4)));

        var reader = new HostFileReader(pipe.Read);
        byte[] dst = PinnedArrays.Allocate(100);
        Assert.Equal((10UL, (Error?)null), reader.ReadToBlocks(PinnedBuffers.Split(dst, 50, 50)));
        Assert.Equal(src, dst[..10]);

        pipe.Write.Dispose();
        Assert.Equal((0UL, (Error?)WellKnownErrors.EndOfStream), reader.ReadToBlocks(PinnedBuffers.Split(dst, 100)));
    }

    [Fact]
    public void Pipe_PositionedIO_IsESPIPE()
    {
        using HostPipe pipe = HostPipe.Create();
        BlockSeq blocks = PinnedBuffers.Split(PinnedBuffers.Pattern(4), 4);

        Assert.Equal((0UL, (Error?)Errno.ESPIPE), new HostFileWriter(pipe.Write, 0).WriteFromBlocks(blocks));
        Assert.Equal((0UL, (Error?)Errno.ESPIPE), new HostFileReader(pipe.Read, 0).ReadToBlocks(blocks));
    }

    [Fact]
    public void Pipe_WriteWithNoReader_IsEPIPE()
    {
        using HostPipe pipe = HostPipe.Create();
        pipe.Read.Dispose();

        // .NET ignores SIGPIPE, so the write fails with EPIPE instead of killing the process.
        (ulong n, Error? error) = new HostFileWriter(pipe.Write).WriteFromBlocks(PinnedBuffers.Split(PinnedBuffers.Pattern(4), 4));
        Assert.Equal(0UL, n);
        Assert.Same(Errno.EPIPE, error);
    }
}
