using System.Collections.Concurrent;
using Microsoft.Win32.SafeHandles;
using Warden.Contexts;
using Warden.Errors;
using Warden.Interop;
using Warden.Kernel.Files;
using Warden.Kernel.Loader;
using Warden.Kernel.Signals;
using Warden.Kernel.Syscalls;
using Warden.Kernel.Tasks;
using Warden.Mm;
using Warden.Platform;

namespace Warden.Kernel;

/// <summary>
/// The small user-space kernel that runs unmodified x86-64 Linux programs on a platform, with
/// every byte of their memory managed by a <see cref="MemoryManager"/>: processes and their tasks,
/// the system call table, files inside a sandbox root, and procfs.
/// </summary>
/// <remarks>
/// <para>One kernel runs one sandbox: <see cref="Run"/> starts its first process and returns when
/// that process has ended. The platform is the caller's (and outlives the kernel).</para>
/// <para>Thread-safe: <see cref="Signal"/> may be called from any thread while <see cref="Run"/> runs.</para>
/// </remarks>
public sealed partial class Kernel : IDisposable
{
    private readonly ConcurrentDictionary<int, ThreadGroup> _processes = new();
    private readonly TextWriter _diagnostics;
    private int _lastPid;
    private ThreadGroup? _init;
    private readonly Lock _startLock = new();
    private int _earlySignal;
    private bool _disposed;

    /// <summary>Makes a kernel whose programs run on <paramref name="platform"/>.</summary>
    /// <returns>The kernel, or why the sandbox root cannot be opened.</returns>
    public static (Kernel? Kernel, Error? Error) Create(IPlatform platform, KernelOptions options)
    {
        ArgumentNullException.ThrowIfNull(platform);
        ArgumentNullException.ThrowIfNull(options);
        (SandboxRoot? root, Errno? error) = SandboxRoot.Create(options.Root, options.ReadOnly);
        if (error is not null)
        {
            return (null, new KernelError(error, $"cannot open the sandbox root '{options.Root}': {error.Description}"));
        }
        return (new Kernel(platform, options, root!), null);
    }

    private Kernel(IPlatform platform, KernelOptions options, SandboxRoot root)
    {
        Platform = platform;
        FileCache = new HostFileCache(platform.Memory);
        Options = options;
        Root = root;
        Vfs = new VirtualFileSystem(this);
        _diagnostics = options.Diagnostics ?? Console.Error;
        Strace = options.Strace is null ? null : new StracePrinter(options.Strace);
        Random = options.RandomSeed is int seed ? new Random(seed) : null;
    }

    /// <summary>The platform programs run on.</summary>
    public IPlatform Platform { get; }

    /// <summary>The options the kernel was made with.</summary>
    public KernelOptions Options { get; }

    /// <summary>What the kernel counted.</summary>
    public KernelStats Stats { get; } = new();

    /// <summary>The first process's /proc/self/maps as it was when it exited, if <see cref="KernelOptions.CaptureFinalMaps"/>.</summary>
    public string? FinalMaps { get; private set; }

    internal SandboxRoot Root { get; }

    internal VirtualFileSystem Vfs { get; }

    internal StracePrinter? Strace { get; }

    internal Random? Random { get; }

    /// <summary>Whether more than one task has existed (strace then tags lines with the tid).</summary>
    internal bool MultipleTasks => Volatile.Read(ref _lastPid) > 1;

    /// <summary>
    /// Runs <paramref name="path"/> as the sandbox's first process and waits until it has ended.
    /// </summary>
    /// <param name="path">The program, a path inside the sandbox (resolved from the working directory if relative).</param>
    /// <param name="argv">Its arguments, argv[0] included.</param>
    /// <param name="envp">Its environment, as <c>NAME=value</c> strings.</param>
    /// <param name="opener">
    /// Where the program (and a <c>#!</c> script's interpreter) is opened from; <c>null</c> for the
    /// sandbox's files. A caller passes its own to run a program that is not a file (Warden's demonstration).
    /// </param>
    /// <returns>How the program ended; or, if it could not be started, why (the status is then meaningless).</returns>
    public (ExitStatus Status, Error? Error) Run(string path, IReadOnlyList<string> argv, IReadOnlyList<string> envp, IExecutableOpener? opener = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(argv);
        ArgumentNullException.ThrowIfNull(envp);
        ObjectDisposedException.ThrowIf(_disposed, this);
        (ThreadGroup? process, Error? error) = StartInit(path, argv, envp, opener);
        if (error is not null)
        {
            return (default, error);
        }
        ExitStatus status = process!.Exited.GetAwaiter().GetResult();
        // The sandbox ends with its first process: whatever else still runs is killed.
        KillAll();
        return (status, null);
    }

    /// <summary>
    /// Delivers <paramref name="signal"/> (from outside the sandbox: Warden got it) to the first
    /// process. For now every signal takes its default action: ignored if the program ignores it,
    /// otherwise the process ends as it would natively.
    /// </summary>
    public void Signal(int signal)
    {
        if (!Signals.Signal.IsValid(signal))
        {
            return;
        }
        ThreadGroup? init;
        lock (_startLock)
        {
            init = _init;
            if (init is null)
            {
                // The first process is still being loaded: it gets the signal as soon as it exists.
                _earlySignal = signal;
                return;
            }
        }
        SendSignal(init, signal);
    }

    internal void SendSignal(ThreadGroup group, int signal)
    {
        // From outside the sandbox: the kernel sent it (SI_KERNEL).
        var info = new Platform.SignalInfo { Signo = signal, Code = Signals.SignalCodes.SI_KERNEL };
        group.Send(in info);
    }

    /// <summary>The host files programs open or exec, each shared by all its opens while it is unchanged.</summary>
    internal HostFileCache FileCache { get; }

    /// <summary>The foreground process group of the controlling terminal, as the sandbox sees it.</summary>
    internal TerminalForeground Terminal { get; } = new();

    /// <summary>The process with the kernel's pid <paramref name="pid"/>, if it exists (a zombie too).</summary>
    internal ThreadGroup? FindProcess(int pid) => _processes.TryGetValue(pid, out ThreadGroup? group) ? group : null;

    /// <summary>The pids of the live processes.</summary>
    internal int[] Pids() => [.. _processes.Keys.Order()];

    internal int NextPid() => Interlocked.Increment(ref _lastPid);

    private (ThreadGroup? Process, Error? Error) StartInit(string path, IReadOnlyList<string> argv, IReadOnlyList<string> envp, IExecutableOpener? opener)
    {
        if (Interlocked.CompareExchange(ref _init, null, null) is not null)
        {
            throw new InvalidOperationException("Kernel.Run runs one sandbox: its first process has already been started.");
        }
        Credentials credentials = Options.Credentials ?? HostCredentials();
        ResourceLimitSet limits = ResourceLimitSet.FromHost();
        var fs = new FsContext(InitialWorkingDirectory(), HostUmask());
        MemoryManager mm = NewMemoryManager(limits);
        var loaderOptions = new LoaderOptions
        {
            Uid = credentials.Uid,
            Euid = credentials.Euid,
            Gid = credentials.Gid,
            Egid = credentials.Egid,
            Random = Random,
            Files = FileCache,
        };
        (LoadedImage? image, Error? error) = ProgramLoader.Load(Context.Background, mm, opener ?? new ExecutableOpener(this, fs), path, argv, envp, loaderOptions);
        if (error is not null)
        {
            mm.Dispose();
            return (null, error);
        }
        int pid = NextPid();
        var group = new ThreadGroup(this, pid, new AddressSpaceRef(mm), new SignalHandlers(), limits, credentials)
        {
            Image = image,
            Name = ProcessName(image!.ExecutablePath),
        };
        var fds = new FdTable((int)Math.Min(limits.Get(ResourceLimitSet.RLIMIT_NOFILE).Current, 1 << 20));
        error = InstallStandardFiles(fds);
        if (error is not null)
        {
            fds.CloseAll();
            mm.Dispose();
            return (null, error);
        }
        var arch = new ArchContext();
        arch.Registers.Rip = image.Entry.Value;
        arch.Registers.Rsp = image.StackPointer.Value;
        arch.Registers.Eflags = 0x202;
        // Its nice value is Warden's own, as a program started by Warden's parent would have it.
        var task = new KernelTask(this, group, pid, arch, fds, fs) { Name = group.Name, Nice = Libc.OwnNice() };
        group.AddTask(task);
        group.WatchCpuLimit();
        _processes[pid] = group;
        Terminal.Attach(group);
        int early;
        lock (_startLock)
        {
            _init = group;
            early = _earlySignal;
        }
        if (early != 0)
        {
            SendSignal(group, early);
        }
        task.Start();
        return (group, null);
    }

    /// <summary>A new, empty address space for a program with <paramref name="limits"/> (the first process's, or execve's).</summary>
    internal MemoryManager NewMemoryManager(ResourceLimitSet limits) =>
        new(Platform, new MemoryManagerOptions { Limits = limits.ForMemoryManager(), RandomSeed = Options.RandomSeed ?? System.Random.Shared.Next() });

    /// <summary>Called by a process's last task before its address space goes.</summary>
    internal void ProcessExiting(ThreadGroup group, KernelTask lastTask)
    {
        Stats.ObserveRss((long)group.MM.MaxResidentSetSize);
        Stats.AddCopyOnWriteBreaks(group.MM.CopyOnWriteBreaks);
        if (Options.CaptureFinalMaps && ReferenceEquals(group, Volatile.Read(ref _init)))
        {
            FinalMaps = group.MM.MapsText(lastTask);
        }
        lastTask.Fds.CloseAll();
    }

    internal void ReportInternalError(KernelTask task, Exception e)
    {
        lock (_diagnostics)
        {
            _diagnostics.WriteLine($"warden: task {task.Tid}: {e.Message}");
            if (e is not InvalidOperationException)
            {
                _diagnostics.WriteLine(e.ToString());
            }
            _diagnostics.Flush();
        }
    }

    private Error? InstallStandardFiles(FdTable fds)
    {
        SafeFileHandle[] handles =
        [
            Options.Stdin ?? new SafeFileHandle(0, ownsHandle: false),
            Options.Stdout ?? new SafeFileHandle(1, ownsHandle: false),
            Options.Stderr ?? new SafeFileHandle(2, ownsHandle: false),
        ];
        for (int fd = 0; fd < 3; fd++)
        {
            (SafeFileHandle? dup, Errno? error) = Libc.Dup(handles[fd]);
            if (error is not null)
            {
                // A descriptor Warden was started without stays closed for the program too.
                if (error == Errno.EBADF)
                {
                    continue;
                }
                return error;
            }
            (int flags, Errno? flagsError) = Libc.Fcntl(dup!, Libc.F_GETFL, 0);
            if (flagsError is not null)
            {
                dup!.Dispose();
                return flagsError;
            }
            (HostFileDescription? file, Errno? createError) = HostFileDescription.Create(dup!, flags, StandardFileName(dup!, fd), FileCache);
            if (createError is not null)
            {
                return createError;
            }
            fds.Set(fd, file!, closeOnExec: false);
        }
        return null;
    }

    // What /proc/self/fd shows for an inherited descriptor: its sandbox path, or the host's name for
    // what is not a file (pipe:[N], socket:[N]); a host path outside the root is not shown.
    private string StandardFileName(SafeFileHandle fd, int number)
    {
        string? link = SandboxRoot.HostLinkOf(fd);
        if (link is null || !link.StartsWith('/'))
        {
            return link ?? $"/dev/fd/{number}";
        }
        return Root.SandboxPathOf(fd) ?? $"/dev/fd/{number}";
    }

    private string InitialWorkingDirectory()
    {
        if (Options.WorkingDirectory is string cwd)
        {
            return FsContext.Normalize(cwd);
        }
        if (Root.HostPath == "/")
        {
            return Environment.CurrentDirectory;
        }
        string here = Environment.CurrentDirectory;
        return here.StartsWith(Root.HostPath + "/", StringComparison.Ordinal) ? here[Root.HostPath.Length..] : "/";
    }

    private static int HostUmask()
    {
        // umask(2) can only be read by setting it; /proc/self/status shows it without a change.
        try
        {
            foreach (string line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("Umask:", StringComparison.Ordinal))
                {
                    return Convert.ToInt32(line[6..].Trim(), 8);
                }
            }
        }
        catch (IOException)
        {
        }
        return 0x12;
    }

    private static Credentials HostCredentials()
    {
        (uint uid, uint euid, uint gid, uint egid) = Libc.GetIds();
        return new Credentials(uid, euid, gid, egid, Libc.GetGroups());
    }

    private static string ProcessName(string path)
    {
        string name = System.IO.Path.GetFileName(path);
        return name.Length > 15 ? name[..15] : name;
    }

    /// <summary>Kills every process still running and waits for their tasks to end.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        KillAll();
        Root.Dispose();
    }
}
