using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Warden.HostArch;
using Warden.Interop;
using Warden.Tests.Infrastructure;
using Xunit;

namespace Warden.Tests.Interop;

/// <summary>Warden's copies of Linux constants and struct layouts, checked against the system headers.</summary>
public class LinuxConstantsTests
{
    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);

    [SkippableFact]
    public void Iovec_MatchesStructIovec()
    {
        IReadOnlyDictionary<string, string> header = CHeaderProbe.RunKeyValues(CHeaderProbe.Program(
            ["stddef.h", "stdio.h", "sys/uio.h"],
            """
            printf("sizeof\t%zu\n", sizeof(struct iovec));
            printf("iov_base\t%zu\n", offsetof(struct iovec, iov_base));
            printf("iov_len\t%zu\n", offsetof(struct iovec, iov_len));
            """));

        Assert.Equal(header["sizeof"], Text(Marshal.SizeOf<Iovec>()));
        Assert.Equal(header["sizeof"], Text(Unsafe.SizeOf<Iovec>()));
        Assert.Equal(header["iov_base"], Text(Marshal.OffsetOf<Iovec>(nameof(Iovec.Base))));
        Assert.Equal(header["iov_len"], Text(Marshal.OffsetOf<Iovec>(nameof(Iovec.Length))));
    }

    [SkippableFact]
    public void IovMax_MatchesLimitsH()
    {
        IReadOnlyDictionary<string, string> header = CHeaderProbe.RunKeyValues(CHeaderProbe.Program(
            ["limits.h", "stdio.h"],
            "printf(\"IOV_MAX\\t%d\\n\", IOV_MAX);"));

        Assert.Equal(header["IOV_MAX"], Text(Iovec.IovMax));
    }

    [SkippableFact]
    public void EveryLinuxMmanConstant_MatchesSysMmanH()
    {
        // Every constant of LinuxMman by reflection, so that one added later is checked too.
        var constants = typeof(LinuxMman).GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Where(f => f.IsLiteral)
            .ToDictionary(f => f.Name, f => Convert.ToInt64(f.GetRawConstantValue(), CultureInfo.InvariantCulture));
        IReadOnlyDictionary<string, string> header = ProbeConstants(constants.Keys, "sys/mman.h");
        // What glibc's header leaves out (kernel-only flags, advice newer than this glibc) is in the
        // kernel's own UAPI header.
        string[] notInGlibc = constants.Keys.Where(name => header[name] == "missing").ToArray();
        IReadOnlyDictionary<string, string> uapi = ProbeConstants(notInGlibc, "linux/mman.h");

        foreach ((string name, long value) in constants)
        {
            string expected = header[name] == "missing" ? uapi[name] : header[name];
            if (expected == "missing" && s_newerThanTheseHeaders.TryGetValue(name, out long known))
            {
                // Newer than this machine's headers: the value is the kernel's ABI, fixed forever.
                Assert.True(value == known, $"LinuxMman.{name} is {value}; Linux defines it as {known}.");
                continue;
            }
            Assert.True(expected == Text(value), $"LinuxMman.{name} is {value}; the headers say {expected}.");
        }
        Assert.True(constants.Count > 40, $"only {constants.Count} constants found");
    }

    // Constants of kernels newer than Debian 12's headers, with the values the kernel defines.
    private static readonly Dictionary<string, long> s_newerThanTheseHeaders = new(StringComparer.Ordinal)
    {
        ["MAP_DROPPABLE"] = 0x08, // Linux 6.11
    };

    // Prints each name's value from `header`, or "missing" where the header does not define it.
    private static IReadOnlyDictionary<string, string> ProbeConstants(IEnumerable<string> names, string header)
    {
        string body = string.Concat(names.Select(name =>
            $"#ifdef {name}\n    printf(\"{name}\\t%lld\\n\", (long long)({name}));\n#else\n    printf(\"{name}\\tmissing\\n\");\n#endif\n"));
        return CHeaderProbe.RunKeyValues(CHeaderProbe.Program(["stdio.h", header], body));
    }

    [SkippableFact]
    public void ProtBits_MatchSysMmanH()
    {
        IReadOnlyDictionary<string, string> header = CHeaderProbe.RunKeyValues(CHeaderProbe.Program(
            ["stdio.h", "sys/mman.h"],
            """
            printf("PROT_READ\t%d\n", PROT_READ);
            printf("PROT_WRITE\t%d\n", PROT_WRITE);
            printf("PROT_EXEC\t%d\n", PROT_EXEC);
            """));

        Assert.Equal(header["PROT_READ"], Text(LinuxMman.PROT_READ));
        Assert.Equal(header["PROT_WRITE"], Text(LinuxMman.PROT_WRITE));
        Assert.Equal(header["PROT_EXEC"], Text(LinuxMman.PROT_EXEC));
    }

    [SkippableFact]
    public void PageSize_MatchesSysconf()
    {
        IReadOnlyDictionary<string, string> host = CHeaderProbe.RunKeyValues(CHeaderProbe.Program(
            ["stdio.h", "unistd.h"],
            "printf(\"pagesize\\t%ld\\n\", sysconf(_SC_PAGESIZE));"));

        Assert.Equal(host["pagesize"], Text(Arch.PageSize));
    }

    [Fact]
    public void HugePageSize_MatchesTheKernel()
    {
        const string path = "/sys/kernel/mm/transparent_hugepage/hpage_pmd_size";
        if (!File.Exists(path))
        {
            return;
        }
        Assert.Equal(File.ReadAllText(path).Trim(), Text(Arch.HugePageSize));
    }
}
