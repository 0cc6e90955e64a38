using Warden.Errors;
using Warden.HostArch;
using Warden.Kernel.Files;
using Warden.Kernel.Loader;
using Warden.Kernel.Signals;
using Warden.Kernel.Tasks;
using Warden.Mm;
using Warden.Platform;

namespace Warden.Kernel.Syscalls;

// execve(2) and execveat(2): the program is loaded into a new MemoryManager; only when that has
// worked does the process give up its old one (so a failed exec returns to the old program with
// its errno). Then close-on-exec descriptors close, caught signals go back to their default
// action (ignored ones stay ignored), the alternate signal stack goes, and a vfork parent resumes.
internal static partial class Sys
{
    private const int AT_EMPTY_PATH = 0x1000;
    private const int AT_SYMLINK_NOFOLLOW = 0x100;

    // How many argv or envp pointers execve reads before it gives up (E2BIG): Linux's
    // MAX_ARG_STRINGS.
    private const int MaxArgStrings = 0x7fffffff;

    public static SyscallReturn Execve(KernelTask t, in SyscallArguments a) =>
        Exec(t, AtFdCwd, a.Pointer(0), a.Pointer(1), a.Pointer(2), 0);

    public static SyscallReturn Execveat(KernelTask t, in SyscallArguments a) =>
        Exec(t, a.Int(0), a.Pointer(1), a.Pointer(2), a.Pointer(3), a.Int(4));

    private const int AtFdCwd = -100;

    private static SyscallReturn Exec(KernelTask t, int dirfd, Addr pathAddr, Addr argvAddr, Addr envpAddr, int flags)
    {
        if ((flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)) != 0)
        {
            return Errno.EINVAL;
        }
        (string path, Error? error) = t.CopyPathIn(pathAddr);
        if (error is not null)
        {
            return SyscallReturn.Fail(SyscallReturn.ErrnoOf(error));
        }
        (List<string>? argv, Errno? argvError) = CopyStringVector(t, argvAddr);
        if (argvError is not null)
        {
            return argvError;
        }
        (List<string>? envp, Errno? envpError) = CopyStringVector(t, envpAddr);
        if (envpError is not null)
        {
            return envpError;
        }
        (string? resolved, Errno? resolveError) = ExecPath(t, dirfd, path, flags);
        if (resolveError is not null)
        {
            return resolveError;
        }

        Kernel kernel = t.Kernel;
        ThreadGroup group = t.Group;
        MemoryManager mm = kernel.NewMemoryManager(group.Limits);
        var loaderOptions = new LoaderOptions
        {
            Uid = group.Credentials.Uid,
            Euid = group.Credentials.Euid,
            Gid = group.Credentials.Gid,
            Egid = group.Credentials.Egid,
            Random = kernel.Random,
            Files = kernel.FileCache,
        };
        (LoadedImage? image, Error? loadError) = ProgramLoader.Load(t, mm, new ExecutableOpener(kernel, t.Fs, group), resolved!, argv!, envp!, loaderOptions);
        if (loadError is not null)
        {
            mm.Dispose();
            return SyscallReturn.Fail(SyscallReturn.ErrnoOf(loadError));
        }

        // The point of no return: the old address space goes (the task's next switch runs in the new one).
        group.ReplaceAddressSpace(new AddressSpaceRef(mm)).DecRef();
        group.Image = image;
        group.Name = ProcessNameOf(image!.ExecutablePath);
        group.HasExeced = true;
        t.Name = group.Name;
        t.Fds.CloseOnExec();
        group.Handlers.ResetForExec();
        t.AltStack = SignalStack.Disabled;
        ResetRegisters(t, image);
        group.VforkDone?.TrySetResult();
        return SyscallReturn.Ok(0);
    }

    // The registers a new program starts with: zero but for the entry point, the stack pointer,
    // the interrupt flag and the segment selectors; the floating-point state a new thread has.
    private static void ResetRegisters(KernelTask t, LoadedImage image)
    {
        ref PtraceRegs regs = ref t.Arch.Registers;
        PtraceRegs fresh = default;
        fresh.Cs = regs.Cs;
        fresh.Ss = regs.Ss;
        fresh.Ds = regs.Ds;
        fresh.Es = regs.Es;
        fresh.Rip = image.Entry.Value;
        fresh.Rsp = image.StackPointer.Value;
        fresh.Eflags = 0x202;
        fresh.OrigRax = ulong.MaxValue;
        regs = fresh;
        t.Arch.FPState.Reset();
    }

    // The sandbox path execveat means: the path itself when absolute, else relative to the
    // working directory (AT_FDCWD) or to dirfd's directory; with AT_EMPTY_PATH and an empty path,
    // dirfd's own file (fexecve).
    private static (string? Path, Errno? Error) ExecPath(KernelTask t, int dirfd, string path, int flags)
    {
        if (path.Length == 0)
        {
            if ((flags & AT_EMPTY_PATH) == 0)
            {
                return (null, Errno.ENOENT);
            }
            FileDescription? file = t.Fds.Get(dirfd);
            return file is null ? (null, Errno.EBADF) : (file.Path, null);
        }
        if (path[0] == '/' || dirfd == AtFdCwd)
        {
            return (path, null);
        }
        FileDescription? dir = t.Fds.Get(dirfd);
        if (dir is null)
        {
            return (null, Errno.EBADF);
        }
        if (!dir.IsDirectory)
        {
            return (null, Errno.ENOTDIR);
        }
        (string joined, Errno? error) = FsContext.Join(dir.Path, path);
        return error is null ? (joined, null) : (null, error);
    }

    // Reads a NULL-terminated array of string pointers (argv, envp): EFAULT for a bad pointer,
    // E2BIG when a string is longer than MAX_ARG_STRLEN or the array has no end in sight. A NULL
    // array is an empty one, as Linux takes it.
    private static (List<string>? Strings, Errno? Error) CopyStringVector(KernelTask t, Addr vector)
    {
        var strings = new List<string>();
        if (vector == Addr.Zero)
        {
            return (strings, null);
        }
        long total = 0;
        for (ulong i = 0; i < MaxArgStrings; i++)
        {
            ulong at = vector.Value + (i * 8);
            if (at < vector.Value)
            {
                return (null, Errno.EFAULT);
            }
            if (t.CopyObjectIn((Addr)at, out ulong pointer).Error is not null)
            {
                return (null, Errno.EFAULT);
            }
            if (pointer == 0)
            {
                return (strings, null);
            }
            (string value, Error? error) = t.CopyStringIn((Addr)pointer, ArgumentLimits.MaxArgStrlen);
            if (error is not null)
            {
                return (null, ReferenceEquals(error, Errno.ENAMETOOLONG) ? Errno.E2BIG : Errno.EFAULT);
            }
            total += value.Length + 1 + 8;
            if (total > 64L << 20)
            {
                // Far past any stack limit's share: the loader would refuse it too.
                return (null, Errno.E2BIG);
            }
            strings.Add(value);
        }
        return (null, Errno.E2BIG);
    }

    private static string ProcessNameOf(string path)
    {
        string name = System.IO.Path.GetFileName(path);
        return name.Length > 15 ? name[..15] : name;
    }
}
