using static Warden.Kernel.Syscalls.ArgKind;

namespace Warden.Kernel.Syscalls;

/// <summary>A system call handler: the task that made the call and its raw arguments.</summary>
internal delegate SyscallReturn SyscallHandler(Tasks.KernelTask task, in SyscallArguments args);

/// <summary>One row of the table: the call's name, handler and how <c>--strace</c> shows it.</summary>
/// <param name="Name">Linux's name for the call.</param>
/// <param name="Handler">The implementation, or <c>null</c> (ENOSYS).</param>
/// <param name="Args">How each argument is shown (and how many there are).</param>
/// <param name="HexResult">Whether the result is an address (shown in hexadecimal).</param>
internal sealed record SyscallEntry(string Name, SyscallHandler? Handler, ArgKind[] Args, bool HexResult = false);

/// <summary>
/// The x86-64 system call table: number to handler, name and argument decoding. Every number
/// without a handler returns ENOSYS (and is counted under its name).
/// </summary>
internal static class SyscallTable
{
    private static readonly SyscallEntry?[] s_entries = Build();

    /// <summary>The row for <paramref name="number"/>; a nameless ENOSYS row for numbers out of range.</summary>
    public static SyscallEntry Get(int number) =>
        (uint)number < (uint)s_entries.Length && s_entries[number] is SyscallEntry entry ? entry : Unknown(number);

    /// <summary>Whether Warden implements <paramref name="number"/>.</summary>
    public static bool Implements(int number) => Get(number).Handler is not null;

    private static SyscallEntry Unknown(int number) => new(SyscallNames.Of(number), null, [Hex, Hex, Hex, Hex, Hex, Hex]);

    private static SyscallEntry?[] Build()
    {
        var table = new SyscallEntry?[SyscallNames.Count];
        void Add(int number, SyscallHandler? handler, params ArgKind[] args) =>
            table[number] = new SyscallEntry(SyscallNames.Of(number), handler, args);
        void AddHex(int number, SyscallHandler handler, params ArgKind[] args) =>
            table[number] = new SyscallEntry(SyscallNames.Of(number), handler, args, HexResult: true);

        // Reads and writes (Read.cs).
        Add(0, Sys.Read, Fd, OutBuffer, Size);
        Add(1, Sys.Write, Fd, InBuffer, Size);
        Add(17, Sys.Pread64, Fd, OutBuffer, Size, Int);
        Add(18, Sys.Pwrite64, Fd, InBuffer, Size, Int);
        Add(19, Sys.Readv, Fd, Pointer, Int);
        Add(20, Sys.Writev, Fd, Pointer, Int);
        Add(295, Sys.Preadv, Fd, Pointer, Int, Int);
        Add(296, Sys.Pwritev, Fd, Pointer, Int, Int);
        Add(8, Sys.Lseek, Fd, Int, Int);
        Add(40, Sys.Sendfile, Fd, Fd, Pointer, Size);

        // Opening and descriptors (Open.cs).
        Add(2, Sys.Open, FilePath, OpenFlags, Octal);
        Add(257, Sys.Openat, Fd, FilePath, OpenFlags, Octal);
        Add(85, Sys.Creat, FilePath, Octal);
        Add(3, Sys.Close, Fd);
        Add(32, Sys.Dup, Fd);
        Add(33, Sys.Dup2, Fd, Fd);
        Add(292, Sys.Dup3, Fd, Fd, OpenFlags);
        Add(72, Sys.Fcntl, Fd, Int, Hex);
        Add(16, Sys.Ioctl, Fd, Hex, Hex);

        // File status (Stat.cs).
        Add(4, Sys.Stat, FilePath, Pointer);
        Add(5, Sys.Fstat, Fd, Pointer);
        Add(6, Sys.Lstat, FilePath, Pointer);
        Add(262, Sys.Newfstatat, Fd, FilePath, Pointer, Hex);
        Add(332, Sys.Statx, Fd, FilePath, Hex, Hex, Pointer);
        Add(137, Sys.Statfs, FilePath, Pointer);
        Add(138, Sys.Fstatfs, Fd, Pointer);
        Add(21, Sys.Access, FilePath, Octal);
        Add(269, Sys.Faccessat, Fd, FilePath, Octal);
        Add(439, Sys.Faccessat2, Fd, FilePath, Octal, Hex);
        Add(89, Sys.Readlink, FilePath, OutBuffer, Size);
        Add(267, Sys.Readlinkat, Fd, FilePath, OutBuffer, Size);

        // Directories and names (FileSystem.cs).
        Add(217, Sys.Getdents64, Fd, Pointer, Size);
        Add(79, Sys.Getcwd, OutBuffer, Size);
        Add(80, Sys.Chdir, FilePath);
        Add(81, Sys.Fchdir, Fd);
        Add(83, Sys.Mkdir, FilePath, Octal);
        Add(258, Sys.Mkdirat, Fd, FilePath, Octal);
        Add(133, Sys.Mknod, FilePath, Octal, Hex);
        Add(259, Sys.Mknodat, Fd, FilePath, Octal, Hex);
        Add(84, Sys.Rmdir, FilePath);
        Add(87, Sys.Unlink, FilePath);
        Add(263, Sys.Unlinkat, Fd, FilePath, Hex);
        Add(82, Sys.Rename, FilePath, FilePath);
        Add(264, Sys.Renameat, Fd, FilePath, Fd, FilePath);
        Add(316, Sys.Renameat2, Fd, FilePath, Fd, FilePath, Hex);
        Add(95, Sys.Umask, Octal);
        Add(76, Sys.Truncate, FilePath, Int);
        Add(77, Sys.Ftruncate, Fd, Int);
        Add(74, Sys.Fsync, Fd);
        Add(75, Sys.Fdatasync, Fd);
        Add(221, Sys.Fadvise64, Fd, Int, Int, Int);
        Add(90, Sys.Chmod, FilePath, Octal);
        Add(91, Sys.Fchmod, Fd, Octal);
        Add(268, Sys.Fchmodat, Fd, FilePath, Octal);
        Add(92, Sys.Chown, FilePath, Int, Int);
        Add(93, Sys.Fchown, Fd, Int, Int);
        Add(94, Sys.Lchown, FilePath, Int, Int);
        Add(260, Sys.Fchownat, Fd, FilePath, Int, Int, Hex);

        // Links and times (Links.cs).
        Add(88, Sys.Symlink, FilePath, FilePath);
        Add(266, Sys.Symlinkat, FilePath, Fd, FilePath);
        Add(86, Sys.Link, FilePath, FilePath);
        Add(265, Sys.Linkat, Fd, FilePath, Fd, FilePath, Hex);
        Add(280, Sys.Utimensat, Fd, FilePath, Pointer, Hex);

        // Memory (Mmap.cs).
        AddHex(9, Sys.Mmap, Hex, Size, Prot, MapFlags, Fd, Hex);
        Add(11, Sys.Munmap, Hex, Size);
        Add(10, Sys.Mprotect, Hex, Size, Prot);
        AddHex(25, Sys.Mremap, Hex, Size, Size, Hex, Hex);
        AddHex(12, Sys.Brk, Hex);
        Add(28, Sys.Madvise, Hex, Size, Int);
        Add(149, Sys.Mlock, Hex, Size);
        Add(325, Sys.Mlock2, Hex, Size, Hex);
        Add(150, Sys.Munlock, Hex, Size);
        Add(151, Sys.Mlockall, Hex);
        Add(152, Sys.Munlockall);
        Add(26, Sys.Msync, Hex, Size, Hex);
        Add(27, Sys.Mincore, Hex, Size, Pointer);

        // Identity (Identity.cs).
        Add(39, Sys.Getpid);
        Add(110, Sys.Getppid);
        Add(186, Sys.Gettid);
        Add(102, Sys.Getuid);
        Add(107, Sys.Geteuid);
        Add(104, Sys.Getgid);
        Add(108, Sys.Getegid);
        Add(115, Sys.Getgroups, Int, Pointer);
        Add(111, Sys.Getpgrp);
        Add(121, Sys.Getpgid, Int);
        Add(124, Sys.Getsid, Int);

        // The machine and the process (System.cs).
        Add(63, Sys.Uname, Pointer);
        Add(99, Sys.Sysinfo, Pointer);
        Add(318, Sys.Getrandom, OutBuffer, Size, Hex);
        Add(157, Sys.Prctl, Int, Hex, Hex, Hex, Hex);
        Add(158, Sys.ArchPrctl, Hex, Hex);
        Add(218, Sys.SetTidAddress, Pointer);
        Add(273, Sys.SetRobustList, Pointer, Size);
        Add(334, null, Pointer, Size, Hex, Hex);
        Add(24, Sys.SchedYield);
        Add(204, Sys.SchedGetaffinity, Int, Size, Pointer);
        Add(309, Sys.Getcpu, Pointer, Pointer, Pointer);

        // Resource limits (Rlimit.cs).
        Add(302, Sys.Prlimit64, Int, Int, Pointer, Pointer);
        Add(97, Sys.Getrlimit, Int, Pointer);
        Add(160, Sys.Setrlimit, Int, Pointer);

        // Time (Time.cs, Timers.cs) and usage (Usage.cs).
        Add(228, Sys.ClockGettime, Int, Pointer);
        Add(229, Sys.ClockGetres, Int, Pointer);
        Add(96, Sys.Gettimeofday, Pointer, Pointer);
        Add(201, Sys.Time, Pointer);
        Add(98, Sys.Getrusage, Int, Pointer);
        Add(140, Sys.Getpriority, Int, Int);
        Add(141, Sys.Setpriority, Int, Int, Int);
        Add(251, Sys.IoprioSet, Int, Int, Hex);
        Add(252, Sys.IoprioGet, Int, Int);
        Add(100, Sys.Times, Pointer);
        Add(35, Sys.Nanosleep, Pointer, Pointer);
        Add(230, Sys.ClockNanosleep, Int, Hex, Pointer, Pointer);
        Add(37, Sys.Alarm, Int);
        Add(38, Sys.Setitimer, Int, Pointer, Pointer);
        Add(36, Sys.Getitimer, Int, Pointer);

        // Signals (Signals.cs).
        Add(13, Sys.RtSigaction, ArgKind.Signal, Pointer, Pointer, Size);
        Add(14, Sys.RtSigprocmask, Int, Pointer, Pointer, Size);
        Add(62, Sys.Kill, Int, ArgKind.Signal);
        Add(234, Sys.Tgkill, Int, Int, ArgKind.Signal);
        Add(200, Sys.Tkill, Int, ArgKind.Signal);

        Add(15, Sys.RtSigreturn);
        Add(127, Sys.RtSigpending, Pointer, Size);
        Add(128, Sys.RtSigtimedwait, Pointer, Pointer, Pointer, Size);
        Add(129, Sys.RtSigqueueinfo, Int, ArgKind.Signal, Pointer);
        Add(297, Sys.RtTgsigqueueinfo, Int, Int, ArgKind.Signal, Pointer);
        Add(130, Sys.RtSigsuspend, Pointer, Size);
        Add(131, Sys.Sigaltstack, Pointer, Pointer);
        Add(34, Sys.Pause);
        Add(SyscallNumbers.RestartSyscall, Sys.RestartSyscall);

        // Processes (Fork.cs, Exec.cs, Wait.cs, Identity.cs).
        Add(56, Sys.Clone, Hex, Hex, Pointer, Pointer, Hex);
        Add(57, Sys.Fork);
        Add(58, Sys.Vfork);
        Add(435, null, Pointer, Size);
        Add(59, Sys.Execve, FilePath, Pointer, Pointer);
        Add(322, Sys.Execveat, Fd, FilePath, Pointer, Pointer, Hex);
        Add(61, Sys.Wait4, Int, Pointer, Hex, Pointer);
        Add(247, Sys.Waitid, Int, Int, Pointer, Hex, Pointer);
        Add(109, Sys.Setpgid, Int, Int);
        Add(112, Sys.Setsid);

        // Pipes and waiting for descriptors (Pipe.cs, Poll.cs, Epoll.cs).
        Add(22, Sys.Pipe, Pointer);
        Add(293, Sys.Pipe2, Pointer, OpenFlags);
        Add(7, Sys.Poll, Pointer, Int, Int);
        Add(271, Sys.Ppoll, Pointer, Int, Pointer, Pointer, Size);
        Add(23, Sys.Select, Int, Pointer, Pointer, Pointer, Pointer);
        Add(270, Sys.Pselect6, Int, Pointer, Pointer, Pointer, Pointer, Pointer);
        Add(213, Sys.EpollCreate, Int);
        Add(291, Sys.EpollCreate1, Hex);
        Add(233, Sys.EpollCtl, Fd, Int, Fd, Pointer);
        Add(232, Sys.EpollWait, Fd, Pointer, Int, Int);
        Add(281, Sys.EpollPwait, Fd, Pointer, Int, Int, Pointer, Size);
        Add(441, Sys.EpollPwait2, Fd, Pointer, Int, Pointer, Pointer, Size);

        // Exit (Exit.cs).
        Add(60, Sys.Exit, Int);
        Add(231, Sys.ExitGroup, Int);
        return table;
    }
}
