using System.Buffers.Binary;
using Warden.Contexts;
using Warden.Errors;
using Warden.Kernel.Loader;
using Warden.Mm;
using Warden.PgAlloc;
using Warden.Platforms.SoftMmu;
using Xunit;

namespace Warden.Tests.Kernel.Loader;

/// <summary>
/// Mutated ELF files (bit flips, truncations, random header and program-header fields, over the
/// standard ET_EXEC and ET_DYN images; seeded) never make the loader throw, and every load that
/// succeeds leaves a sane image: entry and stack inside the address space, rsp aligned and
/// pointing at argc, the auxv complete.
/// </summary>
public sealed class LoaderFuzzTests
{
    private const int Cases = 3000;

    private static readonly Errno[] s_expected =
        [Errno.ENOEXEC, Errno.EINVAL, Errno.ENOMEM, Errno.EPERM, Errno.EEXIST, Errno.EIO, Errno.EFAULT, Errno.EOVERFLOW];

    [Fact]
    public void MutatedElfFilesNeverThrowAndSuccessesAreSane()
    {
        var random = new Random(20240611);
        byte[][] bases = [ElfBuilder.Standard().Build(), ElfBuilder.Standard(pie: true).Build()];
        string root = Directory.CreateTempSubdirectory("warden-loader-fuzz-").FullName;
        (MemoryFile? memory, Error? createError) = MemoryFile.Create();
        Assert.Null(createError);
        try
        {
            var platform = new SoftMmuPlatform(memory!);
            var opener = new DirectoryOpener(root);
            string host = opener.HostPath("/prog");
            int successes = 0;
            for (int i = 0; i < Cases; i++)
            {
                byte[] file = Mutate(random, bases[random.Next(bases.Length)]);
                File.WriteAllBytes(host, file);
                File.SetUnixFileMode(host, UnixFileMode.UserRead | UnixFileMode.UserExecute);
                using var mm = new MemoryManager(platform, new MemoryManagerOptions());
                (LoadedImage? image, Error? error) result;
                try
                {
                    result = ProgramLoader.Load(Context.Background, mm, opener, "/prog", ["/prog", "x"], ["A=b"], new LoaderOptions { Random = new Random(i) });
                }
                catch (Exception e)
                {
                    throw new Xunit.Sdk.XunitException($"case {i} threw on {Convert.ToHexString(file.AsSpan(0, Math.Min(file.Length, 256)))}: {e}");
                }
                if (result.error is not null)
                {
                    Assert.True(s_expected.Any(result.error.Is), $"case {i}: unexpected error {result.error}");
                    Assert.Null(result.image);
                    continue;
                }
                successes++;
                CheckSane(i, mm, result.image!);
            }
            // The mutations leave many files loadable: the success path is exercised too.
            Assert.InRange(successes, Cases / 10, Cases);
        }
        finally
        {
            memory!.Dispose();
            Directory.Delete(root, recursive: true);
        }
    }

    private static void CheckSane(int i, MemoryManager mm, LoadedImage image)
    {
        string where = $"case {i}";
        Assert.True(image.Entry.Value < ElfBuilder.TaskSize, where);
        ulong sp = image.StackPointer.Value;
        Assert.True(sp % 16 == 0 && sp < ElfBuilder.TaskSize, where);
        var word = new byte[8];
        Assert.Null(mm.CopyIn(Context.Background, image.StackPointer, word, default).Error);
        Assert.Equal(2UL, BinaryPrimitives.ReadUInt64LittleEndian(word));
        var auxv = LoaderFixture.ParseAuxv(image.Auxv);
        Assert.Equal((0UL, 0UL), auxv[^1]);
        Assert.Equal(image.Entry.Value, auxv.Single(e => e.Type == AuxvType.AT_ENTRY).Value);
        Assert.Equal("/prog", image.ExecutablePath);
        Assert.True(image.ArgvStart < image.ArgvEnd && image.ArgvEnd == image.EnvpStart && image.EnvpStart < image.EnvpEnd, where);
        Assert.Contains("[stack]", mm.MapsText(Context.Background));
    }

    private static byte[] Mutate(Random random, byte[] original)
    {
        byte[] file = (byte[])original.Clone();
        int kinds = 1 + random.Next(3);
        for (int k = 0; k < kinds; k++)
        {
            switch (random.Next(4))
            {
                case 0:
                    // Bit flips, mostly in the headers.
                    for (int n = 1 + random.Next(8); n > 0; n--)
                    {
                        int at = random.Next(4) == 0 ? random.Next(file.Length) : random.Next(Math.Min(file.Length, 64 + 3 * 56));
                        if (file.Length > 0)
                        {
                            file[at] ^= (byte)(1 << random.Next(8));
                        }
                    }
                    break;
                case 1:
                    // Truncation.
                    file = file[..random.Next(file.Length + 1)];
                    break;
                case 2:
                    // A header field set to an interesting or random value.
                    (int offset, int size) = s_headerFields[random.Next(s_headerFields.Length)];
                    WriteField(file, offset, size, Interesting(random, size));
                    break;
                default:
                    // A program-header field of a random entry.
                    int entry = random.Next(3);
                    (int fieldOffset, int fieldSize) = s_phdrFields[random.Next(s_phdrFields.Length)];
                    WriteField(file, 64 + entry * 56 + fieldOffset, fieldSize, Interesting(random, fieldSize));
                    break;
            }
        }
        return file;
    }

    // e_ident's class/data/version, e_type, e_machine, e_version, e_entry, e_phoff, e_phentsize, e_phnum.
    private static readonly (int Offset, int Size)[] s_headerFields = [(4, 1), (5, 1), (6, 1), (16, 2), (18, 2), (20, 4), (24, 8), (32, 8), (54, 2), (56, 2)];

    // p_type, p_flags, p_offset, p_vaddr, p_filesz, p_memsz, p_align.
    private static readonly (int Offset, int Size)[] s_phdrFields = [(0, 4), (4, 4), (8, 8), (16, 8), (32, 8), (40, 8), (48, 8)];

    private static ulong Interesting(Random random, int size)
    {
        ulong mask = size == 8 ? ulong.MaxValue : (1UL << (size * 8)) - 1;
        ulong value = random.Next(8) switch
        {
            0 => 0,
            1 => ulong.MaxValue,
            2 => (ulong)random.Next(16),
            3 => 1UL << random.Next(64),
            4 => ElfBuilder.TaskSize - (ulong)random.Next(0x3000),
            5 => (ulong)random.Next(0x10000),
            6 => 0x1000UL * (ulong)random.Next(0x1000),
            _ => (ulong)random.NextInt64() ^ ((ulong)random.NextInt64() << 1),
        };
        return value & mask;
    }

    private static void WriteField(byte[] file, int offset, int size, ulong value)
    {
        for (int b = 0; b < size && offset + b < file.Length; b++)
        {
            file[offset + b] = (byte)(value >> (8 * b));
        }
    }
}
