using System.Globalization;
using System.Text;
using Warden.Errors;
using Warden.HostArch;
using Warden.Kernel.Tasks;
using Warden.Mm;

namespace Warden.Kernel.Procfs;

/// <summary>The text of the procfs files of a process, in Linux 6.x's formats.</summary>
internal static class ProcContent
{
    private const ulong Page = 4096;

    /// <summary>The contents of <paramref name="process"/>'s file <paramref name="name"/> now, for <paramref name="reader"/>.</summary>
    /// <returns>The contents; <c>null</c> (ESRCH) once the process has been reaped.</returns>
    public static byte[]? Make(KernelTask reader, ThreadGroup process, string name)
    {
        // The contents are made when read, by then the process may have exited or exec'd: its
        // address space is held while it is read. A zombie's is released: what needs it reads as
        // empty (maps, cmdline), the rest without its figures, as Linux's.
        if (reader.Kernel.FindProcess(process.Pid) != process)
        {
            return null;
        }
        AddressSpaceRef space = process.AddressSpace;
        if (!space.TryIncRef())
        {
            return name switch
            {
                "comm" => ProcFileSystem.Utf8(process.Name + "\n"),
                "status" => ProcFileSystem.Utf8(Status(process, null)),
                "stat" => ProcFileSystem.Utf8(Stat(process, null)),
                _ => [],
            };
        }
        try
        {
            MemoryManager mm = space.MM;
            return name switch
            {
                "maps" => ProcFileSystem.Utf8(mm.MapsText(reader)),
                "smaps" => ProcFileSystem.Utf8(mm.SmapsText(reader)),
                "statm" => ProcFileSystem.Utf8(Statm(mm)),
                "status" => ProcFileSystem.Utf8(Status(process, mm)),
                "stat" => ProcFileSystem.Utf8(Stat(process, mm)),
                "comm" => ProcFileSystem.Utf8(process.Name + "\n"),
                "auxv" => process.Image?.Auxv ?? [],
                "cmdline" => Cmdline(reader, process, mm),
                "mounts" => ProcFileSystem.Utf8(Mounts(reader.Kernel.Root.HostPath)),
                _ => [],
            };
        }
        finally
        {
            space.DecRef();
        }
    }

    /// <summary>The host's /proc/<paramref name="hostPath"/> as it reads now; empty if the host has none.</summary>
    public static byte[] HostFile(string hostPath)
    {
        try
        {
            return File.ReadAllBytes(hostPath);
        }
        catch (IOException)
        {
            return [];
        }
        catch (UnauthorizedAccessException)
        {
            return [];
        }
    }

    // The host's mounts seen from the sandbox root: those at or under it, their mount points made
    // relative to it (the root itself, if no mount starts there, shown as the mount holding it),
    // and /proc, which Warden serves (Linux's usual line, if the root has no /proc of its own).
    private static string Mounts(string root)
    {
        string[] lines = Encoding.UTF8.GetString(HostFile("/proc/self/mounts")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var shown = new StringBuilder();
        string? holding = null;
        int holdingLength = -1;
        bool rootShown = false, procShown = false;
        // Mount points are octal-escaped (a space is \040): the root's path is compared escaped too.
        string escapedRoot = root.Replace(" ", "\\040", StringComparison.Ordinal);
        foreach (string line in lines)
        {
            string[] fields = line.Split(' ');
            if (fields.Length < 6)
            {
                continue;
            }
            string point = fields[1];
            string? inside = root == "/" ? point
                : point == escapedRoot ? "/"
                : point.StartsWith(escapedRoot + "/", StringComparison.Ordinal) ? point[escapedRoot.Length..]
                : null;
            if (inside is null)
            {
                if ((point == "/" || escapedRoot.StartsWith(point + "/", StringComparison.Ordinal)) && point.Length > holdingLength)
                {
                    holding = string.Join(' ', fields[0], "/", string.Join(' ', fields[2..]));
                    holdingLength = point.Length;
                }
                continue;
            }
            if (inside.StartsWith("/proc/", StringComparison.Ordinal) || (inside == "/proc" && procShown))
            {
                // What the host mounts inside its /proc is not in Warden's.
                continue;
            }
            procShown |= inside == "/proc";
            rootShown |= inside == "/";
            shown.Append(fields[0]).Append(' ').Append(inside).Append(' ').AppendJoin(' ', fields[2..]).Append('\n');
        }
        var result = new StringBuilder();
        if (!rootShown && holding is not null)
        {
            result.Append(holding).Append('\n');
        }
        result.Append(shown);
        if (!procShown)
        {
            result.Append(ProcLine);
        }
        return result.ToString();
    }

    private const string ProcLine = "proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n";

    private static string Statm(MemoryManager mm)
    {
        // size resident shared text lib data dt, in pages.
        ulong size = mm.VirtualMemorySize / Page;
        ulong rss = mm.ResidentSetSize / Page;
        ulong data = mm.VirtualDataSize / Page;
        return string.Create(CultureInfo.InvariantCulture, $"{size} {rss} 0 0 0 {data} 0\n");
    }

    private static string Status(ThreadGroup p, MemoryManager? mm)
    {
        static string Kb(ulong bytes) => (bytes / 1024).ToString(CultureInfo.InvariantCulture).PadLeft(8) + " kB";
        KernelTask? main = p.Tasks().FirstOrDefault();
        var s = new StringBuilder();
        Credentials c = p.Credentials;
        s.Append(CultureInfo.InvariantCulture, $"Name:\t{p.Name}\n");
        s.Append(CultureInfo.InvariantCulture, $"Umask:\t{Convert.ToString(main?.Fs.Umask ?? 0x12, 8).PadLeft(4, '0')}\n");
        s.Append(p.IsZombie ? "State:\tZ (zombie)\n" : "State:\tR (running)\n");
        s.Append(CultureInfo.InvariantCulture, $"Tgid:\t{p.Pid}\nNgid:\t0\nPid:\t{p.Pid}\nPPid:\t{p.ParentPid}\nTracerPid:\t0\n");
        s.Append(CultureInfo.InvariantCulture, $"Uid:\t{c.Uid}\t{c.Euid}\t{c.Euid}\t{c.Euid}\nGid:\t{c.Gid}\t{c.Egid}\t{c.Egid}\t{c.Egid}\n");
        s.Append(CultureInfo.InvariantCulture, $"FDSize:\t64\nGroups:\t{string.Join(' ', c.Groups)} \n");
        ulong vsize = mm?.VirtualMemorySize ?? 0;
        s.Append("VmPeak:\t").Append(Kb(vsize)).Append('\n');
        s.Append("VmSize:\t").Append(Kb(vsize)).Append('\n');
        s.Append("VmLck:\t").Append(Kb(mm?.LockedSize ?? 0)).Append('\n');
        s.Append("VmPin:\t").Append(Kb(0)).Append('\n');
        s.Append("VmHWM:\t").Append(Kb(mm?.MaxResidentSetSize ?? 0)).Append('\n');
        s.Append("VmRSS:\t").Append(Kb(mm?.ResidentSetSize ?? 0)).Append('\n');
        s.Append("VmData:\t").Append(Kb(mm?.VirtualDataSize ?? 0)).Append('\n');
        s.Append("VmStk:\t").Append(Kb(0)).Append('\n');
        s.Append("VmExe:\t").Append(Kb(0)).Append('\n');
        s.Append("VmLib:\t").Append(Kb(0)).Append('\n');
        s.Append("VmPTE:\t").Append(Kb(0)).Append('\n');
        s.Append("VmSwap:\t").Append(Kb(0)).Append('\n');
        s.Append(CultureInfo.InvariantCulture, $"Threads:\t{p.Tasks().Length}\n");
        s.Append(CultureInfo.InvariantCulture, $"SigBlk:\t{main?.SignalMask ?? 0:x16}\n");
        return s.ToString();
    }

    private static string Stat(ThreadGroup p, MemoryManager? mm) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{p.Pid} ({p.Name}) {(p.IsZombie ? 'Z' : 'R')} {p.ParentPid} {p.ProcessGroup} {p.Session} 0 -1 4194304 0 0 0 0 0 0 0 0 {20 + Nice(p)} {Nice(p)} {p.Tasks().Length} 0 0 {mm?.VirtualMemorySize ?? 0} {(mm?.ResidentSetSize ?? 0) / Page} 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n");

    private static int Nice(ThreadGroup p) => p.Tasks().FirstOrDefault()?.Nice ?? 0;

    private static byte[] Cmdline(KernelTask reader, ThreadGroup process, MemoryManager mm)
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
        (int n, Error? _) = mm.CopyIn(reader, (Addr)start, bytes, new UserMem.IOOpts { IgnorePermissions = true });
        return bytes[..n];
    }
}
