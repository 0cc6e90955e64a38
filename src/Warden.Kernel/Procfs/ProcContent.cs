using System.Globalization;
using System.Text;
using Warden.Errors;
using Warden.HostArch;
using Warden.Kernel.Tasks;

namespace Warden.Kernel.Procfs;

/// <summary>The text of the procfs files of a process, in Linux 6.x's formats.</summary>
internal static class ProcContent
{
    private const ulong Page = 4096;

    public static byte[] Make(KernelTask reader, ThreadGroup process, string name) => name switch
    {
        "maps" => ProcFileSystem.Utf8(process.MM.MapsText(reader)),
        "smaps" => ProcFileSystem.Utf8(process.MM.SmapsText(reader)),
        "statm" => ProcFileSystem.Utf8(Statm(process)),
        "status" => ProcFileSystem.Utf8(Status(process)),
        "stat" => ProcFileSystem.Utf8(Stat(process)),
        "comm" => ProcFileSystem.Utf8(process.Name + "\n"),
        "auxv" => process.Image?.Auxv ?? [],
        "cmdline" => Cmdline(reader, process),
        _ => [],
    };

    private static string Statm(ThreadGroup process)
    {
        // size resident shared text lib data dt, in pages.
        ulong size = process.MM.VirtualMemorySize / Page;
        ulong rss = process.MM.ResidentSetSize / Page;
        ulong data = process.MM.VirtualDataSize / Page;
        return string.Create(CultureInfo.InvariantCulture, $"{size} {rss} 0 0 0 {data} 0\n");
    }

    private static string Status(ThreadGroup p)
    {
        static string Kb(ulong bytes) => (bytes / 1024).ToString(CultureInfo.InvariantCulture).PadLeft(8) + " kB";
        KernelTask? main = p.Tasks().FirstOrDefault();
        var s = new StringBuilder();
        Credentials c = p.Credentials;
        s.Append(CultureInfo.InvariantCulture, $"Name:\t{p.Name}\n");
        s.Append(CultureInfo.InvariantCulture, $"Umask:\t{Convert.ToString(main?.Fs.Umask ?? 0x12, 8).PadLeft(4, '0')}\n");
        s.Append("State:\tR (running)\n");
        s.Append(CultureInfo.InvariantCulture, $"Tgid:\t{p.Pid}\nNgid:\t0\nPid:\t{p.Pid}\nPPid:\t{p.ParentPid}\nTracerPid:\t0\n");
        s.Append(CultureInfo.InvariantCulture, $"Uid:\t{c.Uid}\t{c.Euid}\t{c.Euid}\t{c.Euid}\nGid:\t{c.Gid}\t{c.Egid}\t{c.Egid}\t{c.Egid}\n");
        s.Append(CultureInfo.InvariantCulture, $"FDSize:\t64\nGroups:\t{string.Join(' ', c.Groups)} \n");
        ulong vsize = p.MM.VirtualMemorySize;
        s.Append("VmPeak:\t").Append(Kb(vsize)).Append('\n');
        s.Append("VmSize:\t").Append(Kb(vsize)).Append('\n');
        s.Append("VmLck:\t").Append(Kb(p.MM.LockedSize)).Append('\n');
        s.Append("VmPin:\t").Append(Kb(0)).Append('\n');
        s.Append("VmHWM:\t").Append(Kb(p.MM.MaxResidentSetSize)).Append('\n');
        s.Append("VmRSS:\t").Append(Kb(p.MM.ResidentSetSize)).Append('\n');
        s.Append("VmData:\t").Append(Kb(p.MM.VirtualDataSize)).Append('\n');
        s.Append("VmStk:\t").Append(Kb(0)).Append('\n');
        s.Append("VmExe:\t").Append(Kb(0)).Append('\n');
        s.Append("VmLib:\t").Append(Kb(0)).Append('\n');
        s.Append("VmPTE:\t").Append(Kb(0)).Append('\n');
        s.Append("VmSwap:\t").Append(Kb(0)).Append('\n');
        s.Append(CultureInfo.InvariantCulture, $"Threads:\t{p.Tasks().Length}\n");
        s.Append(CultureInfo.InvariantCulture, $"SigBlk:\t{main?.SignalMask ?? 0:x16}\n");
        return s.ToString();
    }

    private static string Stat(ThreadGroup p) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{p.Pid} ({p.Name}) R {p.ParentPid} {p.ProcessGroup} {p.Session} 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 {p.Tasks().Length} 0 0 {p.MM.VirtualMemorySize} {p.MM.ResidentSetSize / Page} 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n");

    private static byte[] Cmdline(KernelTask reader, ThreadGroup process)
    {
        if (process.Image is null)
        {
            return [];
        }
        ulong start = process.Image.ArgvStart.Value;
        ulong end = process.Image.ArgvEnd.Value;
        if (end <= start || end - start > 1 << 20)
        {
            return [];
        }
        byte[] bytes = new byte[end - start];
        (int n, Error? _) = process.MM.CopyIn(reader, (Addr)start, bytes, new UserMem.IOOpts { IgnorePermissions = true });
        return bytes[..n];
    }
}
