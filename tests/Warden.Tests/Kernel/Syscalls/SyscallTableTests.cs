using System.Globalization;
using Warden.Errors;
using Warden.Kernel.Syscalls;
using Warden.Tests.Infrastructure;
using Xunit;

namespace Warden.Tests.Kernel.Syscalls;

public class SyscallTableTests
{
    [SkippableFact]
    public void NamesAndNumbersMatchTheSystemHeaders()
    {
        // Every __NR_ the headers define has the same name in the table.
        string header = File.Exists("/usr/include/x86_64-linux-gnu/asm/unistd_64.h")
            ? "/usr/include/x86_64-linux-gnu/asm/unistd_64.h" : "/usr/include/asm/unistd_64.h";
        Prerequisite.Require(File.Exists(header), "the Linux headers (linux-libc-dev: asm/unistd_64.h)");
        int checkedCount = 0;
        foreach (string line in File.ReadLines(header))
        {
            string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length == 3 && f[0] == "#define" && f[1].StartsWith("__NR_", StringComparison.Ordinal))
            {
                Assert.Equal(f[1][5..], SyscallNames.Of(int.Parse(f[2], CultureInfo.InvariantCulture)));
                checkedCount++;
            }
        }
        Assert.True(checkedCount > 300);
    }

    [Theory]
    [InlineData(0, "read")]
    [InlineData(9, "mmap")]
    [InlineData(231, "exit_group")]
    [InlineData(257, "openat")]
    [InlineData(332, "statx")]
    [InlineData(439, "faccessat2")]
    public void TheCallsStaticProgramsMakeAreImplemented(int number, string name)
    {
        SyscallEntry entry = SyscallTable.Get(number);
        Assert.Equal(name, entry.Name);
        Assert.NotNull(entry.Handler);
    }

    [Theory]
    [InlineData(334)] // rseq: ENOSYS, as gVisor's ptrace platform
    [InlineData(41)] // socket
    [InlineData(435)] // clone3: ENOSYS, so that the C library falls back to clone
    [InlineData(100000)]
    [InlineData(-1)]
    public void OthersHaveNoHandlerAndAName(int number)
    {
        SyscallEntry entry = SyscallTable.Get(number);
        Assert.Null(entry.Handler);
        Assert.False(string.IsNullOrEmpty(entry.Name));
        Assert.False(SyscallTable.Implements(number));
    }

    [Fact]
    public void ResultsBecomeRaxAsLinuxReturnsThem()
    {
        Assert.Equal(unchecked((ulong)-14L), SyscallReturn.Fail(Errno.EFAULT).Rax);
        Assert.Equal(42UL, SyscallReturn.Ok(42).Rax);
        // A transfer that moved bytes reports them and keeps the error for the next call.
        Assert.Equal(5UL, SyscallReturn.Partial(5, Errno.EFAULT).Rax);
        Assert.Same(Errno.EFAULT, SyscallReturn.Partial(0, Errno.EFAULT).Error);
        Assert.Same(Errno.EFAULT, SyscallReturn.ErrnoOf(new Warden.MemMap.BusError(Errno.EIO)));
        Assert.Same(Errno.ENOENT, SyscallReturn.ErrnoOf(new Warden.Kernel.KernelError(Errno.ENOENT, "gone")));
    }
}
