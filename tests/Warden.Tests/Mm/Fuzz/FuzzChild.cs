using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Warden.Tests.Mm.Fuzz;

/// <summary>A file the child opens at a fixed descriptor number before it serves.</summary>
/// <param name="Fd">The descriptor number.</param>
/// <param name="Path">The file.</param>
/// <param name="Access">How it is opened (<see cref="FileAccess.Read"/> is O_RDONLY, and so on).</param>
public sealed record FuzzFile(int Fd, string Path, FileAccess Access);

/// <summary>
/// The real kernel, in a disposable child process (<c>native/fuzz_child.c</c>) that makes any memory
/// system call with the raw arguments it is sent. It runs without address randomisation; it opens
/// its files, sets RLIMIT_MEMLOCK and drops to nobody (if asked) before it reports its layout.
/// </summary>
/// <remarks>Dispose ends the child (killing it if it does not exit).</remarks>
public sealed class FuzzChild : IDisposable
{
    private const uint OpSyscall = 1, OpMaps = 2, OpExit = 3;
    private const int MapsSize = 1 << 20;

    private readonly Process _process;
    private readonly Stream _requests;
    private readonly Stream _responses;
    private readonly byte[] _request = new byte[64];
    private readonly byte[] _maps = new byte[MapsSize];

    private FuzzChild(Process process)
    {
        _process = process;
        _requests = process.StandardInput.BaseStream;
        _responses = process.StandardOutput.BaseStream;
    }

    /// <summary>The child's program break when it started serving.</summary>
    public ulong InitialBrk { get; private set; }

    /// <summary>Where the child's mincore vector buffer lies (page-aligned, in its bss).</summary>
    public ulong VectorAddress { get; private set; }

    /// <summary>The vector buffer's size in bytes.</summary>
    public int VectorSize { get; private set; }

    /// <summary>Starts a child with <paramref name="files"/> open; <paramref name="memLock"/> is RLIMIT_MEMLOCK (null: inherited).</summary>
    public static FuzzChild Start(IReadOnlyList<FuzzFile> files, bool dropPrivileges, ulong? memLock)
    {
        var start = new ProcessStartInfo(FuzzChildProgram.Path)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        Process process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the fuzz child.");
        var child = new FuzzChild(process);
        try
        {
            var setup = new MemoryStream();
            var writer = new BinaryWriter(setup);
            writer.Write((uint)files.Count);
            writer.Write(dropPrivileges ? 1u : 0u);
            writer.Write(memLock ?? ulong.MaxValue);
            foreach (FuzzFile file in files)
            {
                const int ReadOnly = 0, WriteOnly = 1, ReadWrite = 2;
                byte[] path = Encoding.UTF8.GetBytes(file.Path);
                writer.Write((uint)file.Fd);
                writer.Write((uint)(file.Access switch { FileAccess.Read => ReadOnly, FileAccess.Write => WriteOnly, _ => ReadWrite }));
                writer.Write((uint)path.Length);
                writer.Write(path);
            }
            writer.Flush();
            child._requests.Write(setup.ToArray());
            child._requests.Flush();
            Span<byte> hello = stackalloc byte[24];
            child.ReadExactly(hello, "hello");
            child.InitialBrk = BinaryPrimitives.ReadUInt64LittleEndian(hello);
            child.VectorAddress = BinaryPrimitives.ReadUInt64LittleEndian(hello[8..]);
            child.VectorSize = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(hello[16..]));
            return child;
        }
        catch
        {
            child.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Makes <paramref name="call"/> in the child; returns the kernel's raw result (a negative errno on
    /// failure) and copies the first <c>into.Length</c> bytes of the vector buffer after it into <paramref name="into"/>.
    /// </summary>
    public long Syscall(FuzzCall call, Span<byte> into = default)
    {
        Array.Clear(_request);
        BinaryPrimitives.WriteUInt32LittleEndian(_request, OpSyscall);
        BinaryPrimitives.WriteUInt32LittleEndian(_request.AsSpan(4), (uint)into.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(_request.AsSpan(8), (ulong)call.Number);
        for (int i = 0; i < 6; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(_request.AsSpan(16 + (8 * i)), call[i]);
        }
        return Exchange(into, call.ToString());
    }

    /// <summary>
    /// The child's vmas that carry VM_LOCKED ("lo" in /proc/[pid]/smaps, which maps does not show),
    /// in address order; read from here, which root (or the child's own user) may do.
    /// </summary>
    public List<(ulong Start, ulong End)> LockedRanges()
    {
        var locked = new List<(ulong Start, ulong End)>();
        (ulong Start, ulong End) current = default;
        foreach (string line in File.ReadLines($"/proc/{_process.Id}/smaps"))
        {
            int dash = line.IndexOf('-', StringComparison.Ordinal);
            int space = line.IndexOf(' ', StringComparison.Ordinal);
            if (dash > 0 && space > dash && ulong.TryParse(line.AsSpan(0, dash), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong start) &&
                ulong.TryParse(line.AsSpan(dash + 1, space - dash - 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong end))
            {
                current = (start, end);
            }
            else if (line.StartsWith("VmFlags:", StringComparison.Ordinal) && line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains("lo"))
            {
                locked.Add(current);
            }
        }
        return locked;
    }

    /// <summary>The child's /proc/self/maps.</summary>
    public string MapsText()
    {
        Array.Clear(_request);
        BinaryPrimitives.WriteUInt32LittleEndian(_request, OpMaps);
        long n = Exchange(_maps, "maps");
        if (n < 0)
        {
            throw new InvalidOperationException($"The fuzz child could not read its maps (errno {-n}).");
        }
        return Encoding.ASCII.GetString(_maps, 0, (int)n);
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                Array.Clear(_request);
                BinaryPrimitives.WriteUInt32LittleEndian(_request, OpExit);
                _requests.Write(_request);
                _requests.Flush();
            }
        }
        catch (IOException)
        {
            // The child is gone already; killing it below is all that is left to do.
        }
        if (!_process.WaitForExit(TimeSpan.FromSeconds(10)))
        {
            _process.Kill();
            _process.WaitForExit();
        }
        _process.Dispose();
    }

    private long Exchange(Span<byte> into, string what)
    {
        Span<byte> response = stackalloc byte[16];
        try
        {
            _requests.Write(_request);
            _requests.Flush();
        }
        catch (IOException e)
        {
            throw Stopped(what, e);
        }
        ReadExactly(response, what);
        long result = BinaryPrimitives.ReadInt64LittleEndian(response);
        ulong length = BinaryPrimitives.ReadUInt64LittleEndian(response[8..]);
        if (length > (ulong)into.Length)
        {
            throw new InvalidOperationException($"The fuzz child sent {length} bytes for a {into.Length}-byte buffer ({what}).");
        }
        ReadExactly(into[..(int)length], what);
        return result;
    }

    private void ReadExactly(Span<byte> into, string what)
    {
        try
        {
            _responses.ReadExactly(into);
        }
        catch (Exception e) when (e is IOException or EndOfStreamException)
        {
            throw Stopped(what, e);
        }
    }

    private InvalidOperationException Stopped(string what, Exception e)
    {
        string errors = _process.WaitForExit(TimeSpan.FromSeconds(5))
            ? $"exit code {_process.ExitCode}: {_process.StandardError.ReadToEnd()}"
            : "still running";
        return new InvalidOperationException($"The fuzz child stopped answering ({what}; {errors}).", e);
    }
}
