using BenchmarkDotNet.Attributes;
using Warden.Contexts;
using Warden.Errors;
using Warden.HostArch;
using Warden.UserMem;

namespace Warden.Benchmarks;

/// <summary>
/// <see cref="MemoryIOExtensions.CopyStringIn(IMemoryIO, IContext, Addr, int, IOOpts)"/> as a path
/// lookup uses it: a NUL-terminated string at the start of a page, read with Linux's PATH_MAX.
/// </summary>
[MemoryDiagnoser]
public class CopyStringInBenchmarks
{
    // Linux's PATH_MAX, the NUL included: what path-taking system calls pass as maxlen.
    private const int PathMax = 4096;

    private readonly IContext _ctx = Context.Background;
    private IMemoryIO _io = null!;
    private byte[] _buffer = null!;

    /// <summary>The string's length in bytes, its NUL included.</summary>
    [Params(16, 256, 4096)]
    public int Length { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        // Two pages, so that a read of the whole first page finds memory rather than the end of the
        // buffer; the bytes after the NUL are not zero, so only the NUL ends the string.
        var io = new BytesIO(2 * PathMax);
        io.Bytes.AsSpan().Fill((byte)'x');
        io.Bytes.AsSpan(0, Length - 1).Fill((byte)'a');
        io.Bytes[Length - 1] = 0;
        _io = io;
        _buffer = new byte[PathMax];

        // A benchmark of a failing copy would measure the wrong thing.
        (string value, Error? error) = _io.CopyStringIn(_ctx, Addr.Zero, PathMax, default);
        (int length, Error? spanError) = _io.CopyStringIn(_ctx, Addr.Zero, _buffer, default);
        if (error is not null || spanError is not null || value.Length != Length - 1 || length != Length - 1)
        {
            throw new InvalidOperationException(
                $"CopyStringIn returned ({value.Length}, {error}) and ({length}, {spanError}); expected {Length - 1} and no error.");
        }
    }

    /// <summary>The string overload: copies into a stack (then pooled) buffer and decodes a new string.</summary>
    [Benchmark]
    public string CopyStringInString() => _io.CopyStringIn(_ctx, Addr.Zero, PathMax, default).Value;

    /// <summary>The span overload: copies the bytes into a caller's PATH_MAX buffer; allocates nothing.</summary>
    [Benchmark]
    public int CopyStringInSpan() => _io.CopyStringIn(_ctx, Addr.Zero, _buffer, default).Length;
}
