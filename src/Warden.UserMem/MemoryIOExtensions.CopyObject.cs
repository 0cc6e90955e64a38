using System.Runtime.InteropServices;
using Warden.Contexts;
using Warden.Errors;
using Warden.HostArch;

namespace Warden.UserMem;

public static partial class MemoryIOExtensions
{
    /// <summary>
    /// Copies a value of the unmanaged type <typeparamref name="T"/> from the memory mapped at
    /// <paramref name="addr"/>, byte for byte in host (little-endian) layout.
    /// </summary>
    /// <returns>The number of bytes copied (<c>sizeof(T)</c> unless an error stopped it).</returns>
    /// <remarks>
    /// No reflection: the value is viewed as its bytes. On a partial copy, the bytes not copied are
    /// zero. <b>Preconditions:</b> as for <see cref="IMemoryIO.CopyIn"/>.
    /// </remarks>
    public static (int Count, Error? Error) CopyObjectIn<T>(this IMemoryIO uio, IContext ctx, Addr addr, out T value, IOOpts opts)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(uio);
        value = default;
        return uio.CopyIn(ctx, addr, MemoryMarshal.AsBytes(new Span<T>(ref value)), opts);
    }

    /// <summary>Copies <c>values.Length</c> consecutive values of <typeparamref name="T"/> from the memory mapped at <paramref name="addr"/>.</summary>
    /// <returns>The number of bytes copied.</returns>
    /// <remarks><b>Preconditions:</b> as for <see cref="IMemoryIO.CopyIn"/>.</remarks>
    public static (int Count, Error? Error) CopyObjectIn<T>(this IMemoryIO uio, IContext ctx, Addr addr, Span<T> values, IOOpts opts)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(uio);
        return uio.CopyIn(ctx, addr, MemoryMarshal.AsBytes(values), opts);
    }

    /// <summary>Copies <paramref name="value"/> to the memory mapped at <paramref name="addr"/>, byte for byte in host layout.</summary>
    /// <returns>The number of bytes copied.</returns>
    /// <remarks><b>Preconditions:</b> as for <see cref="IMemoryIO.CopyOut"/>.</remarks>
    public static (int Count, Error? Error) CopyObjectOut<T>(this IMemoryIO uio, IContext ctx, Addr addr, in T value, IOOpts opts)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(uio);
        return uio.CopyOut(ctx, addr, MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in value)), opts);
    }

    /// <summary>Copies <paramref name="values"/> to consecutive memory mapped at <paramref name="addr"/>.</summary>
    /// <returns>The number of bytes copied.</returns>
    /// <remarks><b>Preconditions:</b> as for <see cref="IMemoryIO.CopyOut"/>.</remarks>
    public static (int Count, Error? Error) CopyObjectOut<T>(this IMemoryIO uio, IContext ctx, Addr addr, ReadOnlySpan<T> values, IOOpts opts)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(uio);
        return uio.CopyOut(ctx, addr, MemoryMarshal.AsBytes(values), opts);
    }
}
