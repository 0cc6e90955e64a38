using System.Globalization;
using System.Text;
using Warden.Errors;
using Warden.HostArch;
using Warden.Kernel.Files;
using Warden.Kernel.Tasks;
using Warden.UserMem;
using static Warden.HostArch.LinuxMman;

namespace Warden.Kernel.Syscalls;

/// <summary>
/// Writes a line per system call in strace's format: the name, the arguments decoded as the table
/// says, and the result (with the errno's name and description when it failed).
/// </summary>
/// <remarks>Thread-safe: a line is written whole. Reading the program's memory for a line goes through the IO contract.</remarks>
internal sealed class StracePrinter(TextWriter writer)
{
    // strace's default string size (-s 32).
    private const int StringLimit = 32;

    private readonly Lock _lock = new();

    public void Print(KernelTask task, SyscallEntry entry, in SyscallArguments args, SyscallReturn result)
    {
        var line = new StringBuilder();
        if (task.Kernel.MultipleTasks)
        {
            line.Append("[pid ").Append(task.Tid.ToString(CultureInfo.InvariantCulture)).Append("] ");
        }
        line.Append(entry.Name).Append('(');
        for (int i = 0; i < entry.Args.Length; i++)
        {
            // As strace does, open's mode is shown only when the flags create a file.
            if (entry.Args[i] == ArgKind.Octal && i > 0 && entry.Args[i - 1] == ArgKind.OpenFlags &&
                ((int)args[i - 1] & Files.OpenFlags.O_CREAT) == 0 && ((int)args[i - 1] & Files.OpenFlags.O_TMPFILE) != Files.OpenFlags.O_TMPFILE)
            {
                continue;
            }
            if (i > 0)
            {
                line.Append(", ");
            }
            AppendArgument(line, task, entry, in args, i, result);
        }
        line.Append(") = ");
        if (entry.Name is "exit" or "exit_group")
        {
            // These do not return; strace shows the result as unknown.
            line.Append('?');
        }
        else if (result.Error is Errno errno)
        {
            line.Append("-1 ").Append(errno.Name).Append(" (").Append(errno.Description).Append(')');
        }
        else if (entry.HexResult)
        {
            line.Append("0x").Append(result.Value.ToString("x", CultureInfo.InvariantCulture));
        }
        else
        {
            line.Append(result.Value.ToString(CultureInfo.InvariantCulture));
        }
        lock (_lock)
        {
            writer.WriteLine(line.ToString());
            writer.Flush();
        }
    }

    /// <summary>The line strace prints when a signal arrives: <c>--- SIGSEGV {si_signo=SIGSEGV, si_code=..., si_addr=0x...} ---</c>.</summary>
    public void PrintSignal(KernelTask task, in Platform.SignalInfo info)
    {
        string name = Signals.Signal.Name(info.Signo);
        string code = (info.Signo, info.Code) switch
        {
            (Signals.Signal.SIGSEGV, 1) => "SEGV_MAPERR",
            (Signals.Signal.SIGSEGV, 2) => "SEGV_ACCERR",
            (Signals.Signal.SIGBUS, 2) => "BUS_ADRERR",
            (_, 0x80) => "SI_KERNEL",
            (_, 0) => "SI_USER",
            _ => info.Code.ToString(CultureInfo.InvariantCulture),
        };
        string fault = info.Signo is Signals.Signal.SIGSEGV or Signals.Signal.SIGBUS or Signals.Signal.SIGILL or Signals.Signal.SIGFPE
            ? ", si_addr=0x" + info.Addr.ToString("x", CultureInfo.InvariantCulture) : "";
        WriteLine(task, $"--- {name} {{si_signo={name}, si_code={code}{fault}}} ---");
    }

    /// <summary>The line strace prints when the process ends: <c>+++ exited with 0 +++</c> or <c>+++ killed by SIGSEGV +++</c>.</summary>
    public void PrintExit(KernelTask task, Tasks.ExitStatus status) =>
        WriteLine(task, status.Signaled ? $"+++ killed by {Signals.Signal.Name(status.Signal)} +++" : $"+++ exited with {status.Code} +++");

    private void WriteLine(KernelTask task, string text)
    {
        string prefix = task.Kernel.MultipleTasks ? $"[pid {task.Tid.ToString(CultureInfo.InvariantCulture)}] " : "";
        lock (_lock)
        {
            writer.WriteLine(prefix + text);
            writer.Flush();
        }
    }

    private static void AppendArgument(StringBuilder line, KernelTask task, SyscallEntry entry, in SyscallArguments args, int i, SyscallReturn result)
    {
        ulong value = args[i];
        switch (entry.Args[i])
        {
            case ArgKind.Int:
                line.Append(((long)value).ToString(CultureInfo.InvariantCulture));
                break;
            case ArgKind.Size:
                line.Append(value.ToString(CultureInfo.InvariantCulture));
                break;
            case ArgKind.Hex:
            case ArgKind.Pointer:
                line.Append(value == 0 && entry.Args[i] == ArgKind.Pointer ? "NULL" : "0x" + value.ToString("x", CultureInfo.InvariantCulture));
                break;
            case ArgKind.Fd:
                line.Append((int)value == OpenFlags.AT_FDCWD ? "AT_FDCWD" : ((int)value).ToString(CultureInfo.InvariantCulture));
                break;
            case ArgKind.Octal:
                line.Append(value == 0 ? "000" : "0" + Convert.ToString((long)(value & 0xffffffff), 8));
                break;
            case ArgKind.FilePath:
            {
                (string path, Error? error) = task.MM.CopyStringIn(task, (Addr)value, 4096, default);
                if (error is not null && path.Length == 0)
                {
                    line.Append("0x").Append(value.ToString("x", CultureInfo.InvariantCulture));
                }
                else
                {
                    AppendQuoted(line, Encoding.UTF8.GetBytes(path), int.MaxValue);
                }
                break;
            }
            case ArgKind.InBuffer:
                AppendBuffer(line, task, value, (long)args[i + 1]);
                break;
            case ArgKind.OutBuffer:
                if (result.Error is not null)
                {
                    line.Append("0x").Append(value.ToString("x", CultureInfo.InvariantCulture));
                }
                else
                {
                    AppendBuffer(line, task, value, result.Value);
                }
                break;
            case ArgKind.OpenFlags:
                line.Append(OpenFlagNames((int)value));
                break;
            case ArgKind.Prot:
                line.Append(FlagNames((int)value, s_prot, "PROT_NONE"));
                break;
            case ArgKind.MapFlags:
                line.Append(MapFlagNames((int)value));
                break;
            case ArgKind.Signal:
                line.Append(Signals.Signal.IsValid((int)value) ? Signals.Signal.Name((int)value) : ((int)value).ToString(CultureInfo.InvariantCulture));
                break;
        }
    }

    private static void AppendBuffer(StringBuilder line, KernelTask task, ulong addr, long length)
    {
        if (length < 0)
        {
            length = 0;
        }
        int shown = (int)Math.Min(length, StringLimit);
        Span<byte> bytes = stackalloc byte[StringLimit];
        (int n, Error? error) = task.MM.CopyIn(task, (Addr)addr, bytes[..shown], default);
        if (error is not null && n == 0 && shown > 0)
        {
            line.Append("0x").Append(addr.ToString("x", CultureInfo.InvariantCulture));
            return;
        }
        AppendQuoted(line, bytes[..n], n);
        if (length > shown)
        {
            line.Append("...");
        }
    }

    private static void AppendQuoted(StringBuilder line, ReadOnlySpan<byte> bytes, int limit)
    {
        line.Append('"');
        int count = 0;
        foreach (byte b in bytes)
        {
            if (count++ >= limit)
            {
                break;
            }
            switch (b)
            {
                case (byte)'\n': line.Append("\\n"); break;
                case (byte)'\t': line.Append("\\t"); break;
                case (byte)'\r': line.Append("\\r"); break;
                case (byte)'"': line.Append("\\\""); break;
                case (byte)'\\': line.Append("\\\\"); break;
                default:
                    if (b >= 0x20 && b < 0x7f)
                    {
                        line.Append((char)b);
                    }
                    else
                    {
                        line.Append('\\').Append(Convert.ToString(b, 8));
                    }
                    break;
            }
        }
        line.Append('"');
    }

    private static readonly (int Bit, string Name)[] s_prot = [(PROT_READ, "PROT_READ"), (PROT_WRITE, "PROT_WRITE"), (PROT_EXEC, "PROT_EXEC")];

    private static readonly (int Bit, string Name)[] s_map =
    [
        (MAP_FIXED, "MAP_FIXED"), (MAP_ANONYMOUS, "MAP_ANONYMOUS"), (MAP_32BIT, "MAP_32BIT"), (MAP_GROWSDOWN, "MAP_GROWSDOWN"),
        (MAP_DENYWRITE, "MAP_DENYWRITE"), (MAP_EXECUTABLE, "MAP_EXECUTABLE"), (MAP_LOCKED, "MAP_LOCKED"),
        (MAP_NORESERVE, "MAP_NORESERVE"), (MAP_POPULATE, "MAP_POPULATE"), (MAP_NONBLOCK, "MAP_NONBLOCK"), (MAP_STACK, "MAP_STACK"),
        (MAP_HUGETLB, "MAP_HUGETLB"), (MAP_FIXED_NOREPLACE, "MAP_FIXED_NOREPLACE"),
    ];

    private static readonly (int Bit, string Name)[] s_open =
    [
        (Files.OpenFlags.O_CREAT, "O_CREAT"), (Files.OpenFlags.O_EXCL, "O_EXCL"), (Files.OpenFlags.O_NOCTTY, "O_NOCTTY"),
        (Files.OpenFlags.O_TRUNC, "O_TRUNC"), (Files.OpenFlags.O_APPEND, "O_APPEND"), (Files.OpenFlags.O_NONBLOCK, "O_NONBLOCK"),
        (Files.OpenFlags.O_DIRECTORY, "O_DIRECTORY"), (Files.OpenFlags.O_NOFOLLOW, "O_NOFOLLOW"), (Files.OpenFlags.O_CLOEXEC, "O_CLOEXEC"),
        (Files.OpenFlags.O_PATH, "O_PATH"), (Files.OpenFlags.O_LARGEFILE, "O_LARGEFILE"), (Files.OpenFlags.O_DIRECT, "O_DIRECT"),
        (Files.OpenFlags.O_NOATIME, "O_NOATIME"), (Files.OpenFlags.O_SYNC, "O_SYNC"),
    ];

    private static string OpenFlagNames(int flags)
    {
        string mode = (flags & Files.OpenFlags.O_ACCMODE) switch { 0 => "O_RDONLY", 1 => "O_WRONLY", 2 => "O_RDWR", _ => "O_ACCMODE" };
        string rest = FlagNames(flags & ~Files.OpenFlags.O_ACCMODE, s_open, "");
        return rest.Length == 0 ? mode : mode + "|" + rest;
    }

    private static string MapFlagNames(int flags)
    {
        string type = (flags & MAP_TYPE) switch { MAP_SHARED => "MAP_SHARED", MAP_PRIVATE => "MAP_PRIVATE", MAP_SHARED_VALIDATE => "MAP_SHARED_VALIDATE", int t => "0x" + t.ToString("x", CultureInfo.InvariantCulture) };
        string rest = FlagNames(flags & ~MAP_TYPE, s_map, "");
        return rest.Length == 0 ? type : type + "|" + rest;
    }

    private static string FlagNames(int flags, (int Bit, string Name)[] names, string none)
    {
        if (flags == 0)
        {
            return none;
        }
        var parts = new List<string>();
        foreach ((int bit, string name) in names)
        {
            if ((flags & bit) == bit && bit != 0)
            {
                parts.Add(name);
                flags &= ~bit;
            }
        }
        if (flags != 0)
        {
            parts.Add("0x" + flags.ToString("x", CultureInfo.InvariantCulture));
        }
        return string.Join('|', parts);
    }
}
