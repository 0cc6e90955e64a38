using System.Text;
using Warden.Errors;

namespace Warden.Kernel.Loader;

/// <summary>
/// An ELF executable's header and program headers, read and checked before anything is mapped:
/// the checks Linux's load_elf_binary makes before its point of no return, in its order, plus one
/// of Warden's own (segments must lie inside the file).
/// </summary>
internal sealed class ElfImage
{
    private ElfImage(ElfHeader header, ElfProgramHeader[] programHeaders, bool executableStack)
    {
        Header = header;
        ProgramHeaders = programHeaders;
        ExecutableStack = executableStack;
    }

    /// <summary>The ELF header.</summary>
    public ElfHeader Header { get; }

    /// <summary>The program headers, in file order.</summary>
    public ElfProgramHeader[] ProgramHeaders { get; }

    /// <summary>Whether PT_GNU_STACK asks for an executable stack (the last such header decides, as in Linux).</summary>
    public bool ExecutableStack { get; }

    /// <summary>
    /// Reads the image from <paramref name="file"/>, whose first bytes are <paramref name="prefix"/>
    /// (zero-padded to <see cref="ScriptLine.BufferSize"/>).
    /// </summary>
    /// <returns>
    /// The image, or: ENOEXEC for a bad header, a program-header table of the wrong shape or past the
    /// end of the file, a PT_INTERP of a bad size or without its NUL, a PT_LOAD whose file range lies
    /// past the end of the file (Linux would map it and deliver SIGBUS on use: Warden refuses it);
    /// EIO for a PT_INTERP past the end of the file (Linux's short read); ENOEXEC with a message for a
    /// well-formed PT_INTERP, since dynamically linked programs are not supported yet.
    /// </returns>
    public static (ElfImage? Image, Error? Error) Read(ExecutableFile file, ReadOnlySpan<byte> prefix)
    {
        ElfHeader header = ElfHeader.Read(prefix);
        Error? headerError = header.Validate();
        if (headerError is not null)
        {
            return (null, headerError);
        }

        int tableSize = header.PhNum * Elf64.PhdrSize;
        var table = new byte[tableSize];
        (int read, Error? readError) = file.ReadAt(header.PhOff, table);
        if (readError is not null)
        {
            return (null, readError);
        }
        if (read < tableSize)
        {
            return (null, new KernelError(Errno.ENOEXEC, "the program headers lie past the end of the file"));
        }
        var phdrs = new ElfProgramHeader[header.PhNum];
        for (int i = 0; i < phdrs.Length; i++)
        {
            phdrs[i] = ElfProgramHeader.Read(table.AsSpan(i * Elf64.PhdrSize, Elf64.PhdrSize));
        }

        foreach (ElfProgramHeader ph in phdrs)
        {
            if (ph.Type == Elf64.PT_INTERP)
            {
                // Linux acts on the first PT_INTERP only.
                return (null, RefuseInterpreter(file, ph));
            }
        }

        bool executableStack = false;
        foreach (ElfProgramHeader ph in phdrs)
        {
            if (ph.Type == Elf64.PT_GNU_STACK)
            {
                executableStack = (ph.Flags & Elf64.PF_X) != 0;
            }
        }

        for (int i = 0; i < phdrs.Length; i++)
        {
            ElfProgramHeader ph = phdrs[i];
            if (ph.Type == Elf64.PT_LOAD && ph.Filesz > 0 && (ph.Offset + ph.Filesz < ph.Offset || ph.Offset + ph.Filesz > file.Size))
            {
                return (null, new KernelError(Errno.ENOEXEC,
                    $"segment {i} (file bytes 0x{ph.Offset:x} + 0x{ph.Filesz:x}) lies past the end of the file (0x{file.Size:x} bytes)"));
            }
        }
        return (new ElfImage(header, phdrs, executableStack), null);
    }

    private static Error RefuseInterpreter(ExecutableFile file, ElfProgramHeader ph)
    {
        if (ph.Filesz > Elf64.PathMax || ph.Filesz < 2)
        {
            return new KernelError(Errno.ENOEXEC, $"PT_INTERP of {ph.Filesz} bytes (2 to {Elf64.PathMax} are accepted)");
        }
        var path = new byte[(int)ph.Filesz];
        (int read, Error? error) = file.ReadAt(ph.Offset, path);
        if (error is not null)
        {
            return error;
        }
        if (read < path.Length)
        {
            return new KernelError(Errno.EIO, "PT_INTERP lies past the end of the file");
        }
        if (path[^1] != 0)
        {
            return new KernelError(Errno.ENOEXEC, "PT_INTERP is not NUL-terminated");
        }
        string interpreter = Encoding.UTF8.GetString(path.AsSpan(0, path.AsSpan().IndexOf((byte)0)));
        return new KernelError(Errno.ENOEXEC,
            $"{file.Path}: dynamically linked programs (interpreter {interpreter}) are not supported yet");
    }
}
