using Warden.Errors;
using Warden.MemMap;
using Warden.UserMem;

namespace Warden.Kernel.Syscalls;

/// <summary>What a system call handler returns: a value, or the errno the program sees.</summary>
internal readonly struct SyscallReturn
{
    private SyscallReturn(long value, Errno? error)
    {
        Value = value;
        Error = error;
    }

    public long Value { get; }

    public Errno? Error { get; }

    /// <summary>The value of rax: the result, or minus the errno.</summary>
    public ulong Rax => Error is null ? (ulong)Value : (ulong)(long)-Error.Number;

    public static SyscallReturn Ok(long value) => new(value, null);

    public static SyscallReturn Ok(ulong value) => new((long)value, null);

    public static SyscallReturn Fail(Errno error) => new(0, error);

    public static implicit operator SyscallReturn(Errno error) => Fail(error);

    /// <summary><c>0</c>, or the errno of <paramref name="error"/>.</summary>
    public static SyscallReturn Of(Error? error) => error is null ? Ok(0) : Fail(ErrnoOf(error));

    /// <summary>
    /// The result of a transfer, as Linux reports one: the count if anything moved (the error is for
    /// the next call to find), else the error.
    /// </summary>
    public static SyscallReturn Partial(long count, Error? error) =>
        count > 0 || error is null ? Ok(count) : Fail(ErrnoOf(error));

    /// <summary>The errno that stands for <paramref name="error"/>: the one it wraps, EFAULT for a memory error.</summary>
    public static Errno ErrnoOf(Error error)
    {
        for (Error? e = error; e is not null; e = e.Unwrap())
        {
            if (e is Errno errno)
            {
                return errno;
            }
            if (e is BusError)
            {
                return Errno.EFAULT;
            }
        }
        if (ReferenceEquals(error, IOSequence.EndOfIOSequence))
        {
            return Errno.EFAULT;
        }
        return Errno.EIO;
    }
}
