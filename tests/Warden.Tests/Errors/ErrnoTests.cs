using System.Globalization;
using System.Text;
using Warden.Errors;
using Warden.Tests.Infrastructure;
using Xunit;

namespace Warden.Tests.Errors;

public class ErrnoTests
{
    // Wider than Linux's errno space, so an entry registered at a stray number is found too.
    private const int ProbeLimit = 200;

    private static List<Errno> AllErrnos()
    {
        var all = new List<Errno>();
        for (int number = -5; number <= ProbeLimit; number++)
        {
            if (Errno.TryFromNumber(number, out Errno? errno))
            {
                all.Add(errno);
            }
        }
        return all;
    }

    [SkippableFact]
    public void NumbersNamesAndDescriptions_MatchTheSystemHeaders()
    {
        List<Errno> all = AllErrnos();
        var body = new StringBuilder();
        foreach (Errno errno in all)
        {
            // An #ifdef per name, so a name the headers lack is reported rather than breaking the build.
            body.AppendLine(CultureInfo.InvariantCulture, $"#ifdef {errno.Name}");
            body.AppendLine(CultureInfo.InvariantCulture, $"printf(\"%s\\t%d %s\\n\", {CHeaderProbe.Literal(errno.Name)}, {errno.Name}, strerror({errno.Name}));");
            body.AppendLine("#else");
            body.AppendLine(CultureInfo.InvariantCulture, $"printf(\"%s\\tundefined\\n\", {CHeaderProbe.Literal(errno.Name)});");
            body.AppendLine("#endif");
        }
        IReadOnlyDictionary<string, string> header = CHeaderProbe.RunKeyValues(
            CHeaderProbe.Program(["errno.h", "stdio.h", "string.h"], body.ToString()));

        Assert.Equal(all.Count, header.Count);
        foreach (Errno errno in all)
        {
            Assert.Equal($"{errno.Number} {errno.Description}", header[errno.Name]);
        }
    }

    [SkippableFact]
    public void EveryNumberTheCLibraryKnows_HasAnErrno()
    {
        // strerror names every errno the C library knows and says "Unknown error N" for the gaps.
        string body = $"for (int i = 1; i <= {ProbeLimit}; i++) printf(\"%d\\t%s\\n\", i, strerror(i));";
        IReadOnlyDictionary<string, string> strerror = CHeaderProbe.RunKeyValues(
            CHeaderProbe.Program(["stdio.h", "string.h"], body));

        Assert.Equal(ProbeLimit, strerror.Count);
        for (int number = 1; number <= ProbeLimit; number++)
        {
            string text = strerror[number.ToString(CultureInfo.InvariantCulture)];
            bool known = text != $"Unknown error {number}";
            Assert.True(known == Errno.TryFromNumber(number, out Errno? errno),
                $"errno {number} ('{text}'): the C library {(known ? "knows" : "does not know")} it, Warden {(errno is null ? "does not" : "does")}.");
            if (known)
            {
                Assert.Equal(text, errno!.Description);
            }
        }
    }

    [SkippableFact]
    public void Aliases_MatchTheSystemHeaders()
    {
        IReadOnlyDictionary<string, string> header = CHeaderProbe.RunKeyValues(CHeaderProbe.Program(
            ["errno.h", "stdio.h"],
            "printf(\"EWOULDBLOCK\\t%d\\n\", EWOULDBLOCK); printf(\"EDEADLOCK\\t%d\\n\", EDEADLOCK);"));

        Assert.Equal(header["EWOULDBLOCK"], Errno.EWOULDBLOCK.Number.ToString(CultureInfo.InvariantCulture));
        Assert.Equal(header["EDEADLOCK"], Errno.EDEADLOCK.Number.ToString(CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Aliases_AreTheSameInstances()
    {
        Assert.Same(Errno.EAGAIN, Errno.EWOULDBLOCK);
        Assert.Same(Errno.EDEADLK, Errno.EDEADLOCK);
        Assert.Equal(11, Errno.EWOULDBLOCK.Number);
        Assert.Equal(35, Errno.EDEADLOCK.Number);
    }

    [Fact]
    public void Table_HoldsLinuxErrnoSpace()
    {
        // Linux x86-64 defines 1..133 except 41 and 58 (the numbers of the EWOULDBLOCK and
        // EDEADLOCK aliases on other architectures).
        List<Errno> all = AllErrnos();
        Assert.Equal(131, all.Count);
        Assert.DoesNotContain(all, e => e.Number is 0 or 41 or 58 or > 133);
        Assert.Equal(all.Count, all.Select(e => e.Name).Distinct().Count());
    }

    [Fact]
    public void FromNumber_ReturnsThePreallocatedInstance()
    {
        Assert.Same(Errno.EFAULT, Errno.FromNumber(14));
        Assert.Same(Errno.ENOMEM, Errno.FromNumber(12));
        Assert.Same(Errno.EHWPOISON, Errno.FromNumber(133));
        Assert.Same(Errno.EPERM, Errno.FromNumber(1));
        foreach (Errno errno in AllErrnos())
        {
            Assert.Same(errno, Errno.FromNumber(errno.Number));
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(41)]
    [InlineData(58)]
    [InlineData(134)]
    [InlineData(-1)]
    [InlineData(-14)]
    [InlineData(int.MaxValue)]
    [InlineData(int.MinValue)]
    public void FromNumber_ThrowsForUnknownNumbers(int number)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Errno.FromNumber(number));
        Assert.False(Errno.TryFromNumber(number, out Errno? errno));
        Assert.Null(errno);
    }

    [Fact]
    public void Formatting()
    {
        Assert.Equal("EFAULT", Errno.EFAULT.Message);
        Assert.Equal("EFAULT (14): Bad address", Errno.EFAULT.ToString());
        Assert.Equal("ENAMETOOLONG (36): File name too long", Errno.ENAMETOOLONG.ToString());
    }

    [Fact]
    public void ReturningAnErrno_DoesNotAllocate()
    {
        Errno.FromNumber(22);
        long before = GC.GetAllocatedBytesForCurrentThread();
        int sum = 0;
        for (int i = 0; i < 10_000; i++)
        {
            sum += Errno.FromNumber(1 + (i % 40)).Number;
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(allocated < 1_000, $"10,000 lookups allocated {allocated} bytes.");
        Assert.True(sum > 0);
    }

    [Fact]
    public void Errnos_AreErrorsComparedByIdentity()
    {
        Error error = Errno.EIO;
        Assert.True(error.Is(Errno.EIO));
        Assert.False(error.Is(Errno.EFAULT));
        Assert.Null(error.Unwrap());
    }
}
