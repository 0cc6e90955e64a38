using System.Buffers.Binary;
using System.Text;
using Warden.Errors;
using Warden.HostArch;
using Warden.Kernel.Loader;
using Warden.Mm;
using Warden.Tests.Mm;
using Xunit;

namespace Warden.Tests.Kernel.Loader;

/// <summary>
/// A fresh memory manager (<see cref="MmFixture"/>: SoftMmu over a MemoryFile, unrandomised layout),
/// a temporary directory as the sandbox root, and helpers to put programs there, load them and read
/// the result back through the IO contract.
/// </summary>
internal sealed class LoaderFixture : IDisposable
{
    public LoaderFixture(MemoryManagerOptions? options = null)
    {
        Root = Directory.CreateTempSubdirectory("warden-loader-").FullName;
        Opener = new DirectoryOpener(Root);
        Mm = new MmFixture(options);
    }

    public string Root { get; }

    public DirectoryOpener Opener { get; }

    public MmFixture Mm { get; }

    /// <summary>Writes a file into the sandbox (executable unless told otherwise) and returns its sandbox path.</summary>
    public string Put(string sandboxPath, byte[] contents, bool executable = true)
    {
        string host = Opener.HostPath(sandboxPath);
        Directory.CreateDirectory(Path.GetDirectoryName(host)!);
        File.WriteAllBytes(host, contents);
        File.SetUnixFileMode(host, executable ? (UnixFileMode)Convert.ToInt32("755", 8) : (UnixFileMode)Convert.ToInt32("644", 8));
        return sandboxPath;
    }

    public string Put(string sandboxPath, string text, bool executable = true) => Put(sandboxPath, Encoding.UTF8.GetBytes(text), executable);

    public (LoadedImage? Image, Error? Error) Load(string path, string[]? argv = null, string[]? envp = null, LoaderOptions? options = null) =>
        ProgramLoader.Load(Mm.Ctx, Mm.Mm, Opener, path, argv ?? [path], envp ?? [], options ?? new LoaderOptions { Random = new Random(1) });

    /// <summary>Loads and asserts success.</summary>
    public LoadedImage LoadOk(string path, string[]? argv = null, string[]? envp = null, LoaderOptions? options = null)
    {
        (LoadedImage? image, Error? error) = Load(path, argv, envp, options);
        Assert.True(error is null, $"Load failed: {error}");
        return image!;
    }

    public byte[] Read(ulong addr, int length) => Mm.Read(addr, length);

    public ulong ReadU64(ulong addr) => BinaryPrimitives.ReadUInt64LittleEndian(Read(addr, 8));

    public string ReadCString(ulong addr)
    {
        var bytes = new List<byte>();
        for (ulong a = addr; ; a++)
        {
            byte b = Read(a, 1)[0];
            if (b == 0)
            {
                return Encoding.UTF8.GetString(bytes.ToArray());
            }
            bytes.Add(b);
        }
    }

    /// <summary>The lines of /proc/self/maps for this address space.</summary>
    public string[] Maps() => Mm.Mm.MapsText(Mm.Ctx).Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The maps line whose range starts at <paramref name="start"/>, reduced to "start-end perms offset name".</summary>
    public string MapAt(ulong start)
    {
        string prefix = $"{start:x8}-";
        foreach (string line in Maps())
        {
            if (line.StartsWith(prefix, StringComparison.Ordinal))
            {
                return Brief(line);
            }
        }
        return $"(nothing mapped at 0x{start:x})";
    }

    /// <summary>"start-end perms offset name" of a maps line (the device and inode dropped).</summary>
    public static string Brief(string line)
    {
        string[] f = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
        return f.Length > 5 ? $"{f[0]} {f[1]} {f[2]} {f[5].Trim()}" : $"{f[0]} {f[1]} {f[2]}";
    }

    /// <summary>The auxv pairs from raw bytes.</summary>
    public static List<(ulong Type, ulong Value)> ParseAuxv(byte[] auxv)
    {
        var pairs = new List<(ulong, ulong)>();
        for (int i = 0; i + 16 <= auxv.Length; i += 16)
        {
            pairs.Add((BinaryPrimitives.ReadUInt64LittleEndian(auxv.AsSpan(i)), BinaryPrimitives.ReadUInt64LittleEndian(auxv.AsSpan(i + 8))));
        }
        return pairs;
    }

    public static ulong Aux(LoadedImage image, ulong type)
    {
        foreach ((ulong t, ulong v) in ParseAuxv(image.Auxv))
        {
            if (t == type)
            {
                return v;
            }
        }
        throw new Xunit.Sdk.XunitException($"auxv has no entry {type}");
    }

    public void Dispose()
    {
        Mm.Dispose();
        Directory.Delete(Root, recursive: true);
    }
}
