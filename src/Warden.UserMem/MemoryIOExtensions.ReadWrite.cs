using System.Runtime.InteropServices;
using Warden.Contexts;
using Warden.Errors;
using Warden.HostArch;

namespace Warden.UserMem;

// The all-or-error tier, for callers who only care whether the whole transfer happened. The
// count-returning tier (CopyIn/CopyOut, CopyObjectIn/CopyObjectOut) stays for callers that act on a
// partial count, as read(2) and write(2) do.
public static partial class MemoryIOExtensions
{
    /// <summary>
    /// Reads a whole value of the unmanaged type <typeparamref name="T"/> from the memory mapped at
    /// <paramref name="addr"/>, byte for byte in host (little-endian) layout, or fails.
    /// </summary>
    /// <returns>
    /// <c>null</c> if all <c>sizeof(T)</c> bytes were copied; otherwise the error the copy returned
    /// (<see cref="Errno.EFAULT"/> if it stopped short without one).
    /// </returns>
    /// <remarks>
    /// <para>
    /// Unlike <see cref="CopyObjectIn{T}(IMemoryIO, IContext, Addr, out T, IOOpts)"/>, which returns the
    /// count and leaves a partially copied value behind, this tier has no partial result.
    /// </para>
    /// <para><b>Preconditions:</b> as for <see cref="IMemoryIO.CopyIn"/>.</para>
    /// <para><b>Postconditions:</b> on error, <paramref name="value"/> is <c>default</c>.</para>
    /// </remarks>
    /// <example>
    /// Reading a <c>struct timespec</c> argument in a syscall handler:
    /// <code>
    /// Error? error = mm.ReadObject(ctx, new Addr(args[0]), out Timespec ts);
    /// if (error is not null)
    /// {
    ///     return error; // EFAULT for an unmapped address
    /// }
    /// </code>
    /// </example>
    /// <seealso cref="CopyObjectIn{T}(IMemoryIO, IContext, Addr, out T, IOOpts)"/>
    public static Error? ReadObject<T>(this IMemoryIO io, IContext ctx, Addr addr, out T value, IOOpts opts = default)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(io);
        value = default;
        Span<byte> bytes = MemoryMarshal.AsBytes(new Span<T>(ref value));
        (int n, Error? error) = io.CopyIn(ctx, addr, bytes, opts);
        Error? result = AllOrError(n, bytes.Length, error);
        if (result is not null)
        {
            value = default;
        }
        return result;
    }

    /// <summary>
    /// Writes the whole of <paramref name="value"/> to the memory mapped at <paramref name="addr"/>,
    /// byte for byte in host layout, or fails.
    /// </summary>
    /// <returns>
    /// <c>null</c> if all <c>sizeof(T)</c> bytes were copied; otherwise the error the copy returned
    /// (<see cref="Errno.EFAULT"/> if it stopped short without one).
    /// </returns>
    /// <remarks>
    /// <para>
    /// An error does not mean nothing was written: as with Linux's <c>copy_to_user</c>, the bytes
    /// before the fault may already be in memory. Callers that need the count use
    /// <see cref="CopyObjectOut{T}(IMemoryIO, IContext, Addr, in T, IOOpts)"/>.
    /// </para>
    /// <para><b>Preconditions:</b> as for <see cref="IMemoryIO.CopyOut"/>.</para>
    /// </remarks>
    /// <seealso cref="CopyObjectOut{T}(IMemoryIO, IContext, Addr, in T, IOOpts)"/>
    public static Error? WriteObject<T>(this IMemoryIO io, IContext ctx, Addr addr, in T value, IOOpts opts = default)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(io);
        ReadOnlySpan<byte> bytes = MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in value));
        (int n, Error? error) = io.CopyOut(ctx, addr, bytes, opts);
        return AllOrError(n, bytes.Length, error);
    }

    /// <summary>
    /// Fills <paramref name="destination"/> from the memory mapped at <paramref name="addr"/>, or fails.
    /// </summary>
    /// <returns>
    /// <c>null</c> if all <c>destination.Length</c> bytes were copied (always, for an empty span);
    /// otherwise the error the copy returned (<see cref="Errno.EFAULT"/> if it stopped short without one).
    /// </returns>
    /// <remarks>
    /// <para>
    /// On error the contents of <paramref name="destination"/> are unspecified: a prefix may already
    /// have been copied. Callers that need the count use <see cref="IMemoryIO.CopyIn"/>.
    /// </para>
    /// <para><b>Preconditions:</b> as for <see cref="IMemoryIO.CopyIn"/>.</para>
    /// </remarks>
    /// <seealso cref="IMemoryIO.CopyIn"/>
    public static Error? Read(this IMemoryIO io, IContext ctx, Addr addr, Span<byte> destination, IOOpts opts = default)
    {
        ArgumentNullException.ThrowIfNull(io);
        (int n, Error? error) = io.CopyIn(ctx, addr, destination, opts);
        return AllOrError(n, destination.Length, error);
    }

    /// <summary>
    /// Writes all of <paramref name="source"/> to the memory mapped at <paramref name="addr"/>, or fails.
    /// </summary>
    /// <returns>
    /// <c>null</c> if all <c>source.Length</c> bytes were copied (always, for an empty span); otherwise
    /// the error the copy returned (<see cref="Errno.EFAULT"/> if it stopped short without one).
    /// </returns>
    /// <remarks>
    /// <para>
    /// An error does not mean nothing was written: as with Linux's <c>copy_to_user</c>, the bytes
    /// before the fault may already be in memory. Callers that need the count use
    /// <see cref="IMemoryIO.CopyOut"/>.
    /// </para>
    /// <para><b>Preconditions:</b> as for <see cref="IMemoryIO.CopyOut"/>.</para>
    /// </remarks>
    /// <seealso cref="IMemoryIO.CopyOut"/>
    public static Error? Write(this IMemoryIO io, IContext ctx, Addr addr, ReadOnlySpan<byte> source, IOOpts opts = default)
    {
        ArgumentNullException.ThrowIfNull(io);
        (int n, Error? error) = io.CopyOut(ctx, addr, source, opts);
        return AllOrError(n, source.Length, error);
    }

    // A transfer succeeded only if it moved every byte and reported nothing. IMemoryIO promises a
    // short count comes with its reason; EFAULT stands in should an implementation omit it.
    private static Error? AllOrError(int count, int length, Error? error) =>
        error is null && count == length ? null : error ?? Errno.EFAULT;
}
