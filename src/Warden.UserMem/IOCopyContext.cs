using Warden.Contexts;
using Warden.Errors;
using Warden.HostArch;

namespace Warden.UserMem;

/// <summary>An <see cref="ICopyContext"/> over an <see cref="IMemoryIO"/>, a context and options.</summary>
/// <remarks>The scratch buffer is reused between calls. Not thread-safe.</remarks>
public sealed class IOCopyContext : ICopyContext
{
    private byte[] _scratch = [];

    /// <summary>Creates a copy context for <paramref name="io"/>.</summary>
    public IOCopyContext(IContext ctx, IMemoryIO io, IOOpts opts = default)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(io);
        Ctx = ctx;
        IO = io;
        Opts = opts;
    }

    /// <summary>The context passed to every copy.</summary>
    public IContext Ctx { get; }

    /// <summary>The memory copied to and from.</summary>
    public IMemoryIO IO { get; }

    /// <summary>The options passed to every copy.</summary>
    public IOOpts Opts { get; }

    /// <inheritdoc/>
    public Span<byte> CopyScratchBuffer(int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        if (_scratch.Length < size)
        {
            _scratch = new byte[size];
        }
        return _scratch.AsSpan(0, size);
    }

    /// <inheritdoc/>
    public (int Count, Error? Error) CopyInBytes(Addr addr, Span<byte> dst) => IO.CopyIn(Ctx, addr, dst, Opts);

    /// <inheritdoc/>
    public (int Count, Error? Error) CopyOutBytes(Addr addr, ReadOnlySpan<byte> src) => IO.CopyOut(Ctx, addr, src, Opts);
}
