using System.Text;
using Microsoft.Win32.SafeHandles;
using Warden.Contexts;
using Warden.Errors;
using Warden.HostArch;
using Warden.Mm;
using static Warden.HostArch.LinuxMman;

namespace Warden.Kernel.Loader;

/// <summary>
/// execve's loading step: turns a path, arguments and environment into a ready address space
/// (gVisor's <c>loader.Load</c>, Linux's <c>bprm_execve</c> with binfmt_script and binfmt_elf).
/// </summary>
public static class ProgramLoader
{
    /// <summary>
    /// How many times a file may be replaced by its <c>#!</c> interpreter: Linux's exec_binprm gives
    /// up (ELOOP) when a sixth rewrite would be needed.
    /// </summary>
    public const int MaxScriptDepth = 5;

    /// <summary>
    /// Loads <paramref name="path"/> into <paramref name="mm"/>: follows <c>#!</c> lines, checks and
    /// maps the ELF executable, sets up the brk heap after it, maps the stack and writes argv, envp
    /// and the auxiliary vector onto it.
    /// </summary>
    /// <param name="ctx">The calling task's context.</param>
    /// <param name="mm">A fresh memory manager with nothing mapped.</param>
    /// <param name="opener">Opens the program and its interpreters.</param>
    /// <param name="path">The path as the program gave it to execve (AT_EXECFN and the script's argument use it as given).</param>
    /// <param name="argv">The arguments (an empty list gets Linux's single empty argv[0]).</param>
    /// <param name="envp">The environment strings.</param>
    /// <param name="options">Credentials and randomness.</param>
    /// <returns>
    /// The loaded image, or execve's errno: the opener's (ENOENT, EACCES, ...); E2BIG when the
    /// strings do not fit Linux's limits; ENOEXEC for a file that is neither ELF nor a script, a bad
    /// ELF header or program-header table, a bad <c>#!</c> line, or a dynamically linked program
    /// (a <see cref="KernelError"/> saying so); ELOOP past <see cref="MaxScriptDepth"/> scripts;
    /// EINVAL, ENOMEM, EPERM, EEXIST for segments that cannot be mapped (see remarks); EIO when the
    /// file cannot be read; ENOMEM or EFAULT when the stack cannot hold what goes on it.
    /// </returns>
    /// <remarks>
    /// <para>Nothing in the files' contents makes this throw.</para>
    /// <para><b>Preconditions:</b> <paramref name="mm"/> maps nothing yet and no other thread uses it.</para>
    /// <para><b>Postconditions:</b> on success the files' handles are held only by their mappings (the
    /// file closes with its last mapping). On failure <paramref name="mm"/> may hold part of the
    /// image: the caller discards it (Linux kills the process once mapping has begun).</para>
    /// </remarks>
    public static (LoadedImage? Image, Error? Error) Load(
        IContext ctx, MemoryManager mm, IExecutableOpener opener, string path,
        IReadOnlyList<string> argv, IReadOnlyList<string> envp, LoaderOptions options)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(mm);
        ArgumentNullException.ThrowIfNull(opener);
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(argv);
        ArgumentNullException.ThrowIfNull(envp);
        ArgumentNullException.ThrowIfNull(options);
        Random random = options.Random ?? Random.Shared;

        (ExecutableFile? file, Error? openError) = Open(ctx, opener, path);
        if (openError is not null)
        {
            return (null, openError);
        }
        try
        {
            byte[] execFn = Encoding.UTF8.GetBytes(path);
            var args = new List<byte[]>(argv.Count + 2);
            foreach (string arg in argv)
            {
                args.Add(Encoding.UTF8.GetBytes(arg));
            }
            if (args.Count == 0)
            {
                args.Add([]);
            }
            var env = new List<byte[]>(envp.Count);
            foreach (string e in envp)
            {
                env.Add(Encoding.UTF8.GetBytes(e));
            }
            (ArgumentLimits limits, Error? limitError) = ArgumentLimits.Create(mm.Options.Limits.Stack, argv.Count, envp.Count);
            limitError ??= limits.Check(execFn, args, env);
            if (limitError is not null)
            {
                return (null, limitError);
            }

            // The name the current file goes by: replaces argv[0] when it turns out to be a script.
            string current = path;
            var prefix = new byte[ScriptLine.BufferSize];
            for (int depth = 0; ; depth++)
            {
                if (depth > MaxScriptDepth)
                {
                    return (null, new KernelError(Errno.ELOOP, $"{path}: more than {MaxScriptDepth} nested #! interpreters"));
                }
                prefix.AsSpan().Clear();
                (_, Error? readError) = file!.ReadAt(0, prefix);
                if (readError is not null)
                {
                    return (null, readError);
                }
                if (ElfHeader.HasMagic(prefix))
                {
                    break;
                }
                if (!ScriptLine.HasMagic(prefix))
                {
                    return (null, new KernelError(Errno.ENOEXEC, $"{file.Path}: neither an ELF executable nor a #! script"));
                }
                (ScriptLine line, Error? lineError) = ScriptLine.Parse(prefix);
                if (lineError is not null)
                {
                    return (null, lineError);
                }
                // argv becomes [interpreter, (argument), the script's name, argv[1..]].
                args.RemoveAt(0);
                args.Insert(0, Encoding.UTF8.GetBytes(current));
                if (line.Argument is not null)
                {
                    args.Insert(0, Encoding.UTF8.GetBytes(line.Argument));
                }
                args.Insert(0, Encoding.UTF8.GetBytes(line.Interpreter));
                limitError = limits.Check(execFn, args, env);
                if (limitError is not null)
                {
                    return (null, limitError);
                }
                current = line.Interpreter;
                file.Dispose();
                (file, openError) = Open(ctx, opener, line.Interpreter);
                if (openError is not null)
                {
                    return (null, openError);
                }
            }

            (ElfImage? image, Error? imageError) = ElfImage.Read(file, prefix);
            if (imageError is not null)
            {
                return (null, imageError);
            }
            return LoadElf(ctx, mm, file, image!, execFn, args, env, options, random);
        }
        finally
        {
            file?.Dispose();
        }
    }

    private static (ExecutableFile? File, Error? Error) Open(IContext ctx, IExecutableOpener opener, string path)
    {
        (SafeFileHandle? handle, string resolved, Error? error) = opener.OpenExecutable(ctx, path);
        if (error is not null)
        {
            handle?.Dispose();
            return (null, error);
        }
        if (handle is null)
        {
            ThrowHelper.ThrowInvalidOperation("{0}.OpenExecutable returned neither a handle nor an error for {1}.", opener.GetType().Name, path);
        }
        return ExecutableFile.Create(handle, resolved);
    }

    private static (LoadedImage? Image, Error? Error) LoadElf(
        IContext ctx, MemoryManager mm, ExecutableFile file, ElfImage image, byte[] execFn,
        List<byte[]> args, List<byte[]> env, LoaderOptions options, Random random)
    {
        string executablePath = file.Path;
        SafeFileHandle handle = file.TakeHandle();
        (HostFileMappable? mappable, Error? createError) = options.Files is { } files
            ? files.Get(handle, executablePath, readable: true, writable: false)
            : HostFileMappable.Create(handle, executablePath, mm.Memory, readable: true, writable: false);
        if (createError is not null)
        {
            handle.Dispose();
            return (null, createError);
        }
        MappedElf mapped;
        try
        {
            (mapped, Error? mapError) = ElfMapper.Map(ctx, mm, image, mappable!, random);
            if (mapError is not null)
            {
                return (null, mapError);
            }
        }
        finally
        {
            // The mappings hold their own references: the file closes with the last of them.
            mappable!.DecRef(ctx);
        }

        mm.BrkSetup(ctx, (Addr)mapped.BrkStart);
        (AddrRange stack, Error? stackError) = mm.MapStack(ctx);
        if (stackError is not null)
        {
            return (null, stackError);
        }
        if (image.ExecutableStack)
        {
            Error? protectError = MemorySyscalls.Mprotect(ctx, mm, stack.Start.Value, stack.Length, PROT_READ | PROT_WRITE | PROT_EXEC);
            if (protectError is not null)
            {
                return (null, protectError);
            }
        }

        var info = new ProgramInfo(mapped.Entry, mapped.PhdrAddress, image.Header.PhNum, options);
        (StackLayout layout, Error? writeError) = InitialStack.Write(ctx, mm, stack, execFn, args, env, info, random);
        if (writeError is not null)
        {
            return (null, writeError);
        }
        var argvStrings = new string[args.Count];
        for (int i = 0; i < args.Count; i++)
        {
            argvStrings[i] = Encoding.UTF8.GetString(args[i]);
        }
        return (new LoadedImage
        {
            Entry = (Addr)mapped.Entry,
            StackPointer = (Addr)layout.StackPointer,
            ExecutablePath = executablePath,
            Argv = argvStrings,
            Auxv = layout.Auxv,
            ArgvStart = (Addr)layout.ArgvStart,
            ArgvEnd = (Addr)layout.ArgvEnd,
            EnvpStart = (Addr)layout.EnvpStart,
            EnvpEnd = (Addr)layout.EnvpEnd,
        }, null);
    }
}
