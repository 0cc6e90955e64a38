using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using Warden.HostArch;

namespace Warden.Tests.Mm.Oracle;

/// <summary>
/// The real kernel, in a child process (<c>native/oracle_child.c</c>) that applies each op to its own
/// address space with raw system calls. Used for brk, which the test process's allocator owns; it
/// serves every other op too. The child runs without address randomisation, so its initial break
/// (<see cref="InitialBrk"/>) is the same on every run.
/// </summary>
public sealed class ChildProcessKernelTarget : KernelTargetBase
{
    private const uint OpMmap = 1, OpMunmap = 2, OpMprotect = 3, OpMremap = 4, OpMadvise = 5, OpBrk = 6;
    private const uint OpVmWrite = 7, OpVmRead = 8, OpMemRead = 9, OpMaps = 10, OpExit = 11;
    private const uint OpMincore = 12, OpMlock = 13, OpMunlock = 14, OpMlockall = 15, OpMunlockall = 16, OpSmaps = 17;
    private const uint OpFork = 18, OpForkEnd = 19;
    private const int MaxPayload = 4 << 20;

    private readonly Process _process;
    private readonly Stream _requests;
    private readonly Stream _responses;
    private readonly byte[] _header = new byte[48];
    private readonly byte[] _maps = new byte[MaxPayload];

    private ChildProcessKernelTarget(Process process, OracleWindow window, ulong initialBrk)
        : base(window)
    {
        _process = process;
        _requests = process.StandardInput.BaseStream;
        _responses = process.StandardOutput.BaseStream;
        InitialBrk = initialBrk;
        Reserve();
    }

    public override string Name => "kernel (child)";

    /// <summary>The child's program break when it started serving (after its C library's start-up).</summary>
    public ulong InitialBrk { get; }

    /// <summary>
    /// Where the child's heap vma starts (its C library's data lies between here and
    /// <see cref="InitialBrk"/>), or <see cref="InitialBrk"/> if it has none.
    /// </summary>
    public ulong HeapStart
    {
        get
        {
            foreach (string line in MapsText().Split('\n'))
            {
                if (line.EndsWith("[heap]", StringComparison.Ordinal))
                {
                    return Convert.ToUInt64(line[..line.IndexOf('-', StringComparison.Ordinal)], 16);
                }
            }
            return InitialBrk;
        }
    }

    /// <summary>Starts a child and reserves <paramref name="window"/> in it, with a brk region above its initial break if <paramref name="withBrk"/>.</summary>
    public static ChildProcessKernelTarget Start(OracleWindow window, bool withBrk = true)
    {
        var start = new ProcessStartInfo(OracleChildProgram.Path)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        Process process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the oracle child.");
        try
        {
            Span<byte> hello = stackalloc byte[8];
            process.StandardOutput.BaseStream.ReadExactly(hello);
            ulong initialBrk = BinaryPrimitives.ReadUInt64LittleEndian(hello);
            ulong brkBase = Arch.PageRoundUp(initialBrk).Rounded;
            return new ChildProcessKernelTarget(process, window with { BrkBase = withBrk ? brkBase : 0 }, initialBrk);
        }
        catch
        {
            process.Kill();
            process.Dispose();
            throw;
        }
    }

    protected override (long Result, int Errno) SysMmap(ulong addr, ulong len, int prot, int flags) =>
        Call(OpMmap, [addr, len, (ulong)(uint)prot, (ulong)(uint)flags]);

    protected override (long Result, int Errno) SysMunmap(ulong addr, ulong len) => Call(OpMunmap, [addr, len]);

    protected override (long Result, int Errno) SysMprotect(ulong addr, ulong len, int prot) => Call(OpMprotect, [addr, len, (ulong)(uint)prot]);

    protected override (long Result, int Errno) SysMremap(ulong oldAddr, ulong oldLen, ulong newLen, int flags, ulong newAddr) =>
        Call(OpMremap, [oldAddr, oldLen, newLen, (ulong)(uint)flags, newAddr]);

    protected override (long Result, int Errno) SysMadvise(ulong addr, ulong len, int advice) => Call(OpMadvise, [addr, len, (ulong)(uint)advice]);

    protected override ulong SysBrk(ulong addr) => (ulong)Call(OpBrk, [addr]).Result;

    protected override (long Result, int Errno) SysMincore(ulong addr, ulong len, Span<byte> vector)
    {
        Span<byte> into = vector[..Math.Min(vector.Length, MaxPayload)];
        return Call(OpMincore, [addr, len, (ulong)into.Length], default, into);
    }

    protected override (long Result, int Errno) SysMlock(ulong addr, ulong len, int flags) => Call(OpMlock, [addr, len, (ulong)(uint)flags]);

    protected override (long Result, int Errno) SysMunlock(ulong addr, ulong len) => Call(OpMunlock, [addr, len]);

    protected override (long Result, int Errno) SysMlockall(int flags) => Call(OpMlockall, [(ulong)(uint)flags]);

    protected override (long Result, int Errno) SysMunlockall() => Call(OpMunlockall, []);

    protected override (long Count, int Errno) SysFork(ulong addr, ReadOnlySpan<byte> data)
    {
        if (data.Length > MaxPayload)
        {
            throw new InvalidOperationException($"A forked child's write of {data.Length} bytes is more than one request holds.");
        }
        IReadOnlyList<(ulong Start, ulong End)> regions = Window.SnapshotRegions;
        (ulong start2, ulong end2) = regions.Count > 1 ? regions[1] : (0, 0);
        return Call(OpFork, [addr, regions[0].Start, regions[0].End, start2, end2], data);
    }

    protected override ulong[] SysEndFork()
    {
        var digests = new byte[Window.SnapshotPageCount * sizeof(ulong)];
        (long n, int _) = Call(OpForkEnd, [], default, digests);
        if (n != digests.Length)
        {
            throw new InvalidOperationException($"The oracle child's forked child sent {n} bytes of page digests, not {digests.Length}.");
        }
        var result = new ulong[Window.SnapshotPageCount];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = BinaryPrimitives.ReadUInt64LittleEndian(digests.AsSpan(i * sizeof(ulong)));
        }
        return result;
    }

    /// <summary>The child is disposable: mlockall locks only it.</summary>
    public override bool CanLockAll => true;

    protected override string SmapsText()
    {
        (long n, int errno) = Call(OpSmaps, [], default, _maps);
        if (errno != 0)
        {
            throw new InvalidOperationException($"The oracle child could not read its smaps (errno {errno}).");
        }
        return Encoding.ASCII.GetString(_maps, 0, (int)n);
    }

    protected override (long Count, int Errno) VmWrite(ulong addr, ReadOnlySpan<byte> data)
    {
        long done = 0;
        while (done < data.Length)
        {
            ReadOnlySpan<byte> chunk = data.Slice((int)done, Math.Min(MaxPayload, data.Length - (int)done));
            (long n, int errno) = Call(OpVmWrite, [addr + (ulong)done], chunk);
            if (errno != 0)
            {
                return (done, done == 0 ? errno : 0);
            }
            done += n;
            if (n < chunk.Length)
            {
                break;
            }
        }
        return (done, 0);
    }

    protected override (long Count, int Errno) VmRead(ulong addr, Span<byte> buffer)
    {
        long done = 0;
        while (done < buffer.Length)
        {
            Span<byte> chunk = buffer.Slice((int)done, Math.Min(MaxPayload, buffer.Length - (int)done));
            (long n, int errno) = Call(OpVmRead, [addr + (ulong)done, (ulong)chunk.Length], default, chunk);
            if (errno != 0)
            {
                return (done, done == 0 ? errno : 0);
            }
            done += n;
            if (n < chunk.Length)
            {
                break;
            }
        }
        return (done, 0);
    }

    protected override bool MemRead(ulong addr, Span<byte> buffer)
    {
        for (int done = 0; done < buffer.Length;)
        {
            Span<byte> chunk = buffer.Slice(done, Math.Min(MaxPayload, buffer.Length - done));
            (long n, int errno) = Call(OpMemRead, [addr + (ulong)done, (ulong)chunk.Length], default, chunk);
            if (errno != 0 || n != chunk.Length)
            {
                return false;
            }
            done += chunk.Length;
        }
        return true;
    }

    protected override string MapsText()
    {
        (long n, int errno) = Call(OpMaps, [], default, _maps);
        if (errno != 0)
        {
            throw new InvalidOperationException($"The oracle child could not read its maps (errno {errno}).");
        }
        return Encoding.ASCII.GetString(_maps, 0, (int)n);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (!disposing)
        {
            return;
        }
        try
        {
            Call(OpExit, []);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            // The child is gone already; killing it below is all that is left to do.
        }
        if (!_process.WaitForExit(TimeSpan.FromSeconds(10)))
        {
            _process.Kill();
        }
        _process.Dispose();
    }

    private (long Result, int Errno) Call(uint op, ReadOnlySpan<ulong> args, ReadOnlySpan<byte> payload = default, Span<byte> into = default)
    {
        Array.Clear(_header);
        BinaryPrimitives.WriteUInt32LittleEndian(_header, op);
        BinaryPrimitives.WriteUInt32LittleEndian(_header.AsSpan(4), (uint)payload.Length);
        for (int i = 0; i < args.Length; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(_header.AsSpan(8 + (8 * i)), args[i]);
        }
        Span<byte> response = stackalloc byte[24];
        try
        {
            _requests.Write(_header);
            _requests.Write(payload);
            _requests.Flush();
            _responses.ReadExactly(response);
            long result = BinaryPrimitives.ReadInt64LittleEndian(response);
            int errno = (int)BinaryPrimitives.ReadInt64LittleEndian(response[8..]);
            int length = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(response[16..]));
            if (length > into.Length)
            {
                throw new InvalidOperationException($"The oracle child sent {length} bytes for a {into.Length}-byte buffer.");
            }
            _responses.ReadExactly(into[..length]);
            return (result, errno);
        }
        catch (Exception e) when (e is IOException or EndOfStreamException)
        {
            string errors = _process.HasExited ? _process.StandardError.ReadToEnd() : "";
            throw new InvalidOperationException($"The oracle child stopped answering (op {op}): {errors}", e);
        }
    }
}
