using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Warden.Kernel.Loader;
using Warden.Tests.Infrastructure;
using Warden.Tests.Kernel.Infrastructure;
using Xunit;

namespace Warden.Tests.Kernel.Loader;

/// <summary>
/// Programs built by gcc load as Linux loads them. A <c>-nostdlib</c> probe prints its own
/// /proc/self/maps and auxv when run natively: Linux is the oracle for the segments' pages,
/// permissions and offsets and for the auxv's entries. Ordinary glibc programs (<c>-static</c>,
/// <c>-static-pie</c>) load with their entry point and program headers where they belong.
/// </summary>
public sealed class CompiledProgramTests
{
    private const string ProbeSource = "loader_probe.c";

    private const string HelloSource = """
        #include <stdio.h>
        int counter = 42;
        static char scratch[100000];
        int main(int argc, char **argv) { scratch[argc] = 1; printf("%s %d\n", argv[0], counter + scratch[1]); return 0; }
        """;

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void TheProbeIsMappedAsLinuxMapsIt(bool pie)
    {
        string exe = CompiledProgram.Build(pie ? "probe_pie" : "probe_exec", File.ReadAllText(FindSource()),
            pie ? ["-static-pie", "-nostdlib", "-fPIE", "-fno-stack-protector"] : ["-static", "-nostdlib", "-fno-stack-protector"]);
        (string[] nativeMaps, List<(ulong Type, ulong Value)> nativeAuxv) = RunProbe(exe);

        using var f = new LoaderFixture();
        f.Put("/probe", File.ReadAllBytes(exe));
        var image = f.LoadOk("/probe", options: new LoaderOptions { Random = new Random(11) });

        // The executable's own lines and the bss line that follows them, relative to the first one.
        List<string> native = ImageLines(nativeMaps, exe);
        List<string> warden = ImageLines(f.Maps(), "/probe");
        Assert.True(native.Count >= 4, string.Join("\n", nativeMaps));
        Assert.Equal(native, warden);

        ulong nativeBase = Start(nativeMaps.First(l => l.EndsWith(exe, StringComparison.Ordinal)));
        ulong wardenBase = Start(f.Maps().First(l => l.EndsWith("/probe", StringComparison.Ordinal)));
        if (!pie)
        {
            Assert.Equal(nativeBase, wardenBase);
        }

        // The auxv: Linux's entries in Linux's order, less the vDSO's and rseq's.
        ulong[] skipped = [AuxvType.AT_SYSINFO_EHDR, 27, 28];
        var aux = LoaderFixture.ParseAuxv(image.Auxv);
        Assert.Equal(nativeAuxv.Select(e => e.Type).Where(t => !skipped.Contains(t)), aux.Select(e => e.Type));
        var n = nativeAuxv.ToDictionary(e => e.Type, e => e.Value);
        var w = aux.ToDictionary(e => e.Type, e => e.Value);
        foreach (ulong same in (ulong[])[AuxvType.AT_PAGESZ, AuxvType.AT_CLKTCK, AuxvType.AT_PHENT, AuxvType.AT_PHNUM, AuxvType.AT_BASE,
            AuxvType.AT_FLAGS, AuxvType.AT_SECURE, AuxvType.AT_HWCAP, AuxvType.AT_HWCAP2, AuxvType.AT_MINSIGSTKSZ])
        {
            Assert.True(n[same] == w[same], $"auxv type {same}: Linux {n[same]:x}, Warden {w[same]:x}");
        }
        foreach (ulong moved in (ulong[])[AuxvType.AT_PHDR, AuxvType.AT_ENTRY])
        {
            Assert.Equal(n[moved] - nativeBase, w[moved] - wardenBase);
        }
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void AGlibcProgramLoads(bool pie)
    {
        string exe = CompiledProgram.Build(pie ? "hello_pie" : "hello_static", HelloSource, [pie ? "-static-pie" : "-static"]);
        byte[] file = File.ReadAllBytes(exe);
        using var f = new LoaderFixture();
        f.Put("/hello", file);
        var image = f.LoadOk("/hello", ["hello", "arg"], ["HOME=/"]);

        ulong eEntry = BinaryPrimitives.ReadUInt64LittleEndian(file.AsSpan(24));
        ulong phoff = BinaryPrimitives.ReadUInt64LittleEndian(file.AsSpan(32));
        int phnum = BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(56));
        ulong bias = image.Entry.Value - eEntry;
        Assert.Equal(0UL, bias % 4096);
        Assert.Equal(pie, bias != 0);
        Assert.Equal(file.AsSpan((int)phoff, phnum * 56).ToArray(), f.Read(LoaderFixture.Aux(image, AuxvType.AT_PHDR), phnum * 56));
        Assert.Equal((ulong)phnum, LoaderFixture.Aux(image, AuxvType.AT_PHNUM));
        Assert.Equal(["hello", "arg"], image.Argv);
        Assert.Contains(f.Maps(), l => l.EndsWith("/hello", StringComparison.Ordinal) && l.Contains("r-xp", StringComparison.Ordinal));
        // The entry point's code is the file's: the bytes at the entry match the file at its offset.
        (ulong offset, ulong vaddr) = SegmentHolding(file, eEntry);
        Assert.Equal(file.AsSpan((int)(offset + eEntry - vaddr), 16).ToArray(), f.Read(image.Entry.Value, 16));
    }

    private static (ulong Offset, ulong Vaddr) SegmentHolding(byte[] file, ulong vaddr)
    {
        ulong phoff = BinaryPrimitives.ReadUInt64LittleEndian(file.AsSpan(32));
        int phnum = BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(56));
        for (int i = 0; i < phnum; i++)
        {
            var e = file.AsSpan((int)phoff + i * 56, 56);
            ulong pOffset = BinaryPrimitives.ReadUInt64LittleEndian(e[8..]);
            ulong pVaddr = BinaryPrimitives.ReadUInt64LittleEndian(e[16..]);
            ulong pFilesz = BinaryPrimitives.ReadUInt64LittleEndian(e[32..]);
            if (BinaryPrimitives.ReadUInt32LittleEndian(e) == ElfBuilder.PT_LOAD && pVaddr <= vaddr && vaddr < pVaddr + pFilesz)
            {
                return (pOffset, pVaddr);
            }
        }
        throw new Xunit.Sdk.XunitException($"no PT_LOAD holds 0x{vaddr:x}");
    }

    private static ulong Start(string mapsLine) => Convert.ToUInt64(mapsLine.Split('-')[0], 16);

    // "start-end perms offset" relative to the first line naming `name`, for the lines naming it and
    // the anonymous line right after the last of them (the bss).
    private static List<string> ImageLines(string[] maps, string name)
    {
        int first = Array.FindIndex(maps, l => l.EndsWith(name, StringComparison.Ordinal));
        int last = Array.FindLastIndex(maps, l => l.EndsWith(name, StringComparison.Ordinal));
        Assert.True(first >= 0, $"no line for {name} in:\n{string.Join('\n', maps)}");
        ulong baseAddr = Start(maps[first]);
        var lines = new List<string>();
        for (int i = first; i <= last + 1 && i < maps.Length; i++)
        {
            string[] fields = maps[i].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            bool named = fields.Length > 5;
            if (i == last + 1 && named)
            {
                break;
            }
            string[] range = fields[0].Split('-');
            lines.Add($"{Convert.ToUInt64(range[0], 16) - baseAddr:x}-{Convert.ToUInt64(range[1], 16) - baseAddr:x} {fields[1]} {fields[2]}{(named ? " image" : "")}");
        }
        return lines;
    }

    private static (string[] Maps, List<(ulong Type, ulong Value)> Auxv) RunProbe(string exe)
    {
        var start = new ProcessStartInfo(exe) { RedirectStandardOutput = true, UseShellExecute = false };
        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {exe}.");
        using var output = new MemoryStream();
        process.StandardOutput.BaseStream.CopyTo(output);
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
        byte[] bytes = output.ToArray();
        byte[] marker = "AUXV\n"u8.ToArray();
        int split = bytes.AsSpan().IndexOf(marker);
        Assert.True(split >= 0, "the probe printed no AUXV marker");
        string maps = Encoding.ASCII.GetString(bytes, 0, split);
        return (maps.Split('\n', StringSplitOptions.RemoveEmptyEntries), LoaderFixture.ParseAuxv(bytes[(split + marker.Length)..]));
    }

    private static string FindSource([CallerFilePath] string thisFile = "")
    {
        string near = Path.Combine(Path.GetDirectoryName(thisFile) ?? ".", "native", ProbeSource);
        if (File.Exists(near))
        {
            return near;
        }
        string relative = Path.Combine("tests", "Warden.Tests", "Kernel", "Loader", "native", ProbeSource);
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, relative);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new FileNotFoundException($"Cannot find {relative} above {AppContext.BaseDirectory}.");
    }
}
