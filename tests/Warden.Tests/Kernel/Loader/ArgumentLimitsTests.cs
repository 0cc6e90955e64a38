using Warden.Errors;
using Warden.Mm;
using Xunit;
using static Warden.Tests.Kernel.Loader.ElfBuilder;

namespace Warden.Tests.Kernel.Loader;

/// <summary>
/// E2BIG as Linux's execve decides it: MAX_ARG_STRLEN (32 pages, NUL included) per string, and
/// all strings plus the file name within max(min(RLIMIT_STACK / 4, 6 MiB), 128 KiB) less 8 bytes
/// per argv/envp pointer.
/// </summary>
public sealed class ArgumentLimitsTests
{
    public const int MaxArgStrlen = 32 * 4096;

    [Fact]
    public void AStringOfMaxArgStrlenWithItsNulIsTooBig()
    {
        using var f = new LoaderFixture();
        string path = f.Put("/p", Standard().Build());
        Assert.Null(f.Load(path, ["/p", new string('a', MaxArgStrlen - 1)]).Error);
        Assert.Same(Errno.E2BIG, f.Load(path, ["/p", new string('a', MaxArgStrlen)]).Error);
        Assert.Same(Errno.E2BIG, f.Load(path, ["/p"], [new string('a', MaxArgStrlen)]).Error);
    }

    [Fact]
    public void AllStringsTogetherMustFitAQuarterOfTheStackLimit()
    {
        // 8 MiB stack: 2 MiB = 2097152 bytes, less (1 + 16) pointers = 2097016 bytes for
        // "/p\0" (the file name), "/p\0" (argv[0]) and 16 environment strings of L bytes plus NUL.
        using var f = new LoaderFixture();
        string path = f.Put("/p", Standard().Build());
        string[] Env(int length) => Enumerable.Repeat(new string('e', length), 16).ToArray();
        Assert.Null(f.Load(path, ["/p"], Env(131062)).Error);
        using var g = new LoaderFixture();
        g.Put("/p", Standard().Build());
        Assert.Same(Errno.E2BIG, g.Load(path, ["/p"], Env(131063)).Error);
    }

    [Fact]
    public void ASmallStackLimitStillAllowsArgMax()
    {
        // RLIMIT_STACK 256 KiB: a quarter is 64 KiB, but Linux always allows ARG_MAX (128 KiB).
        var options = new MemoryManagerOptions { Limits = new ResourceLimits { Stack = 256UL << 10 } };
        using var f = new LoaderFixture(options);
        string path = f.Put("/p", Standard().Build());
        // 131072 - (1 + 1) * 8 = 131056 bytes: "/p\0" twice and one string of 131049 bytes plus NUL.
        Assert.Same(Errno.E2BIG, f.Load(path, ["/p"], [new string('e', 131050)]).Error);
        Assert.Null(f.Load(path, ["/p"], [new string('e', 131049)]).Error);
    }

    [Fact]
    public void TheOpenErrorComesBeforeE2big()
    {
        // Linux 6.x opens the file (alloc_bprm) before it copies the strings.
        using var f = new LoaderFixture();
        Assert.Same(Errno.ENOENT, f.Load("/missing", ["/p", new string('a', MaxArgStrlen)]).Error);
    }
}
