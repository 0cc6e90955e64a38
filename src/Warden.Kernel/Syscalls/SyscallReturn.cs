using Warden.Errors;
using Warden.MemMap;
using Warden.UserMem;

namespace Warden.Kernel.Syscalls;

/// <summary>What a system call handler returns: a value, or the errno the program sees.</summary>
internal readonly struct SyscallReturn
{
    private SyscallReturn(long value, Errno? error, RestartKind restart = RestartKind.None)
    {
        Value = value;
        Error = error;
        Restart = restart;
    }

    public long Value { get; }

    public Errno? Error { get; }

    /// <summary>
    /// How the call is restarted when a signal interrupted it (Linux's ERESTART* codes, which the
    /// program never sees): the signal delivery that follows turns it into EINTR or a restart.
    /// </summary>
    public RestartKind Restart { get; }

    /// <summary>The value of rax: the result, or minus the errno (or the restart code, until the delivery replaces it).</summary>
    public ulong Rax => Restart != RestartKind.None ? (ulong)(long)-(int)Restart : Error is null ? (ulong)Value : (ulong)(long)-Error.Number;

    /// <summary>A call a signal interrupted, to be restarted as <paramref name="kind"/> says.</summary>
    public static SyscallReturn Interrupted(RestartKind kind) => new(0, Errno.EINTR, kind);

    public static SyscallReturn Ok(long value) => new(value, null);

    public static SyscallReturn Ok(ulong value) => new((long)value, null);

    public static SyscallReturn Fail(Errno error) => new(0, error);

    public static implicit operator SyscallReturn(Errno error) => Fail(error);

    /// <summary><c>0</c>, or the errno of <paramref name="error"/>.</summary>
    public static SyscallReturn Of(Error? error) => error is null ? Ok(0) : error is RestartError r ? Interrupted(r.Kind) : Fail(ErrnoOf(error));

    /// <summary>
    /// The result of a transfer, as Linux reports one: the count if anything moved (the error is for
    /// the next call to find), else the error.
    /// </summary>
    public static SyscallReturn Partial(long count, Error? error) =>
        count > 0 || error is null ? Ok(count) : error is RestartError r ? Interrupted(r.Kind) : Fail(ErrnoOf(error));

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
