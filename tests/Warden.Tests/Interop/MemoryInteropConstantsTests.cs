using System.Globalization;
using Warden.HostArch;
using Warden.Interop;
using Warden.Tests.Infrastructure;
using Xunit;

namespace Warden.Tests.Interop;

/// <summary>The constants and layouts of the memory-file system calls (memfd, mmap, fallocate, lseek, fstat), checked against the system headers.</summary>
public class MemoryInteropConstantsTests
{
    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);

    [SkippableFact]
    public void Constants_MatchTheHeaders()
    {
        IReadOnlyDictionary<string, string> header = CHeaderProbe.RunKeyValues(CHeaderProbe.Program(
            ["stdio.h", "sys/mman.h", "fcntl.h", "unistd.h", "linux/falloc.h"],
            """
            printf("MFD_CLOEXEC\t%ld\n", (long)MFD_CLOEXEC);
            printf("PROT_NONE\t%ld\n", (long)PROT_NONE);
            printf("PROT_READ\t%ld\n", (long)PROT_READ);
            printf("PROT_WRITE\t%ld\n", (long)PROT_WRITE);
            printf("PROT_EXEC\t%ld\n", (long)PROT_EXEC);
            printf("MAP_SHARED\t%ld\n", (long)MAP_SHARED);
            printf("MAP_PRIVATE\t%ld\n", (long)MAP_PRIVATE);
            printf("MAP_ANONYMOUS\t%ld\n", (long)MAP_ANONYMOUS);
            printf("MADV_DONTNEED\t%ld\n", (long)MADV_DONTNEED);
            #ifdef MADV_POPULATE_WRITE
            printf("MADV_POPULATE_WRITE\t%ld\n", (long)MADV_POPULATE_WRITE);
            #else
            printf("MADV_POPULATE_WRITE\t23\n");
            #endif
            printf("FALLOC_FL_KEEP_SIZE\t%ld\n", (long)FALLOC_FL_KEEP_SIZE);
            printf("FALLOC_FL_PUNCH_HOLE\t%ld\n", (long)FALLOC_FL_PUNCH_HOLE);
            printf("SEEK_SET\t%ld\n", (long)SEEK_SET);
            printf("SEEK_DATA\t%ld\n", (long)SEEK_DATA);
            printf("SEEK_HOLE\t%ld\n", (long)SEEK_HOLE);
            """));

        Assert.Equal(header["MFD_CLOEXEC"], Text(Libc.MFD_CLOEXEC));
        Assert.Equal(header["PROT_NONE"], Text(LinuxMman.PROT_NONE));
        Assert.Equal(header["PROT_READ"], Text(LinuxMman.PROT_READ));
        Assert.Equal(header["PROT_WRITE"], Text(LinuxMman.PROT_WRITE));
        Assert.Equal(header["PROT_EXEC"], Text(LinuxMman.PROT_EXEC));
        Assert.Equal(header["MAP_SHARED"], Text(LinuxMman.MAP_SHARED));
        Assert.Equal(header["MAP_PRIVATE"], Text(LinuxMman.MAP_PRIVATE));
        Assert.Equal(header["MAP_ANONYMOUS"], Text(LinuxMman.MAP_ANONYMOUS));
        Assert.Equal(header["MADV_DONTNEED"], Text(LinuxMman.MADV_DONTNEED));
        Assert.Equal(header["MADV_POPULATE_WRITE"], Text(LinuxMman.MADV_POPULATE_WRITE));
        Assert.Equal(header["FALLOC_FL_KEEP_SIZE"], Text(Libc.FALLOC_FL_KEEP_SIZE));
        Assert.Equal(header["FALLOC_FL_PUNCH_HOLE"], Text(Libc.FALLOC_FL_PUNCH_HOLE));
        Assert.Equal(header["SEEK_SET"], Text(Libc.SEEK_SET));
        Assert.Equal(header["SEEK_DATA"], Text(Libc.SEEK_DATA));
        Assert.Equal(header["SEEK_HOLE"], Text(Libc.SEEK_HOLE));
    }

    [SkippableFact]
    public void StructStat_FieldOffsets_MatchTheHeaders()
    {
        IReadOnlyDictionary<string, string> header = CHeaderProbe.RunKeyValues(CHeaderProbe.Program(
            ["stddef.h", "stdio.h", "sys/stat.h"],
            """
            printf("sizeof\t%zu\n", sizeof(struct stat));
            printf("st_size\t%zu\n", offsetof(struct stat, st_size));
            printf("st_blocks\t%zu\n", offsetof(struct stat, st_blocks));
            printf("st_dev\t%zu\n", offsetof(struct stat, st_dev));
            printf("st_ino\t%zu\n", offsetof(struct stat, st_ino));
            printf("st_size_width\t%zu\n", sizeof(((struct stat*)0)->st_size));
            printf("st_blocks_width\t%zu\n", sizeof(((struct stat*)0)->st_blocks));
            """));

        Assert.True(long.Parse(header["sizeof"], CultureInfo.InvariantCulture) <= 256, "struct stat must fit the wrapper's buffer");
        Assert.Equal(header["st_size"], Text(Libc.StatSizeOffset));
        Assert.Equal(header["st_blocks"], Text(Libc.StatBlocksOffset));
        Assert.Equal(header["st_dev"], Text(Libc.StatDevOffset));
        Assert.Equal(header["st_ino"], Text(Libc.StatInoOffset));
        Assert.Equal("8", header["st_size_width"]);
        Assert.Equal("8", header["st_blocks_width"]);
    }
}
