using Warden.Errors;
using Warden.HostArch;
using Warden.MemMap;

namespace Warden.Mm;

public sealed partial class MemoryManager
{
    // Linux's ANON_VMA_NAME_MAX_LEN, counting the terminating NUL.
    private const int MaxVmaNameLength = 80;

    /// <summary>
    /// Names the anonymous memory in [addr, addr + length) (prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME)),
    /// shown as <c>[anon:name]</c> (or <c>[anon_shmem:name]</c>) in <c>/proc/[pid]/maps</c>; a
    /// <see langword="null"/> name removes it.
    /// </summary>
    /// <remarks>
    /// EINVAL for an unaligned address, a name longer than 79 characters or holding a non-printable
    /// character or one of <c>\`$[]</c>, or a vma whose <see cref="NameMut"/> forbids renaming (file
    /// mappings); ENOMEM when part of the range is unmapped (the mapped parts are still named).
    /// </remarks>
    public Error? SetName(Addr addr, ulong length, string? name)
    {
        if (!addr.IsPageAligned)
        {
            return Errno.EINVAL;
        }
        if (name is not null && (name.Length >= MaxVmaNameLength || name.Any(c => c < ' ' || c > '~' || c is '\\' or '`' or '$' or '[' or ']')))
        {
            return Errno.EINVAL;
        }
        (ulong start, ulong end, bool ok) = PageRange(addr, length);
        if (!ok)
        {
            return Errno.EINVAL;
        }
        if (start == end)
        {
            return null;
        }
        _mappingLock.EnterWriteLock();
        try
        {
            ThrowIfDisposed();
            bool hole = false;
            for (ulong at = start; NextVmaPieceLocked(ref at, end, ref hole, out ulong s, out Vma vma);)
            {
                if (vma.NameMut == NameMut.Disallowed)
                {
                    return Errno.EINVAL;
                }
                SetVmasLocked(s, at, new NameChange(name));
            }
            return hole ? Errno.ENOMEM : null;
        }
        finally
        {
            _mappingLock.ExitWriteLock();
        }
    }
}
