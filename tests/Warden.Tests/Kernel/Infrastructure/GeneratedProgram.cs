using Iced.Intel;
using Warden.Tests.Kernel.Loader;
using Warden.Tests.Platforms.Ptrace;

namespace Warden.Tests.Kernel.Infrastructure;

/// <summary>
/// A static x86-64 ELF executable made from generated code (Iced) and a data segment, written to a
/// file the test can run natively (exec) and under Warden alike.
/// </summary>
/// <remarks>
/// Layout: the code at <see cref="CodeAddress"/> (read and execute, in the first segment with the
/// headers at 0x400000); the data, <see cref="DataSize"/> bytes all from the file, read and write,
/// at <see cref="DataAddress"/>; nothing mapped right after the data, so a string that runs to its
/// end runs into an unmapped page.
/// </remarks>
internal static class GeneratedProgram
{
    public const ulong ImageBase = 0x400000;
    public const ulong CodeAddress = 0x401000;
    public const ulong DataAddress = 0x600000;
    public const int DataSize = 0x10000;

    /// <summary>Writes the program to <paramref name="path"/> (mode 0700) and returns the path.</summary>
    public static string Write(string path, Assembler code, byte[] data)
    {
        if (data.Length > DataSize)
        {
            throw new ArgumentException($"data is {data.Length} bytes, more than {DataSize}", nameof(data));
        }
        (byte[] bytes, _) = PtraceTestBed.Assemble(code, CodeAddress);
        ulong codePages = ((ulong)bytes.Length + 0xfff) / 0x1000;
        ulong dataOffset = 0x1000 * (1 + codePages);
        var image = new byte[DataSize];
        data.CopyTo(image, 0);
        var elf = new ElfBuilder { Type = ElfBuilder.ET_EXEC, Entry = CodeAddress };
        elf.Add(new Phdr(ElfBuilder.PT_LOAD, ElfBuilder.PF_R | ElfBuilder.PF_X, 0, ImageBase, 0x1000 + (ulong)bytes.Length, 0x1000 + (ulong)bytes.Length));
        elf.Add(new Phdr(ElfBuilder.PT_LOAD, ElfBuilder.PF_R | ElfBuilder.PF_W, dataOffset, DataAddress, DataSize, DataSize));
        elf.Add(new Phdr(ElfBuilder.PT_GNU_STACK, ElfBuilder.PF_R | ElfBuilder.PF_W, 0, 0, 0, 0, 16));
        elf.Put(0x1000, bytes);
        elf.Put(dataOffset, image);
        File.WriteAllBytes(path, elf.Build());
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }
}
