using Warden.Errors;
using Warden.Interop;
using Warden.Mm;

namespace Warden.Kernel.Tasks;

/// <summary>
/// A process's resource limits (getrlimit/setrlimit/prlimit64), starting from Warden's own as a
/// natively run program would inherit them. The memory limits are passed on to the memory manager.
/// </summary>
internal sealed class ResourceLimitSet
{
    /// <summary>RLIM_INFINITY: no limit.</summary>
    public const ulong Infinity = ulong.MaxValue;

    public const int RLIMIT_CPU = 0;
    public const int RLIMIT_FSIZE = 1;
    public const int RLIMIT_DATA = 2;
    public const int RLIMIT_STACK = 3;
    public const int RLIMIT_CORE = 4;
    public const int RLIMIT_RSS = 5;
    public const int RLIMIT_NPROC = 6;
    public const int RLIMIT_NOFILE = 7;
    public const int RLIMIT_MEMLOCK = 8;
    public const int RLIMIT_AS = 9;
    public const int Count = 16;

    private readonly Lock _lock = new();
    private readonly (ulong Current, ulong Maximum)[] _limits = new (ulong, ulong)[Count];

    private ResourceLimitSet()
    {
    }

    /// <summary>The limits of the Warden process.</summary>
    public static ResourceLimitSet FromHost()
    {
        var set = new ResourceLimitSet();
        for (int r = 0; r < Count; r++)
        {
            (ulong cur, ulong max, Errno? error) = Libc.Getrlimit(r);
            set._limits[r] = error is null ? (cur, max) : (Libc.RLIM_INFINITY, Libc.RLIM_INFINITY);
        }
        return set;
    }

    public (ulong Current, ulong Maximum) Get(int resource)
    {
        lock (_lock)
        {
            return _limits[resource];
        }
    }

    /// <summary>setrlimit(2)'s rules: soft at most hard; raising the hard limit needs privilege (the sandbox has none to give).</summary>
    public Errno? Set(int resource, ulong current, ulong maximum, bool privileged)
    {
        if (current > maximum)
        {
            return Errno.EINVAL;
        }
        lock (_lock)
        {
            if (maximum > _limits[resource].Maximum && !privileged)
            {
                return Errno.EPERM;
            }
            if (resource == RLIMIT_NOFILE && maximum > 1024 * 1024)
            {
                return Errno.EPERM;
            }
            _limits[resource] = (current, maximum);
        }
        return null;
    }

    public ResourceLimitSet Fork()
    {
        var copy = new ResourceLimitSet();
        lock (_lock)
        {
            _limits.CopyTo(copy._limits, 0);
        }
        return copy;
    }

    /// <summary>The limits the memory manager enforces, from the current soft limits.</summary>
    public ResourceLimits ForMemoryManager()
    {
        lock (_lock)
        {
            return new ResourceLimits
            {
                AddressSpace = _limits[RLIMIT_AS].Current,
                Data = _limits[RLIMIT_DATA].Current,
                Stack = _limits[RLIMIT_STACK].Current,
                MemLock = _limits[RLIMIT_MEMLOCK].Current,
            };
        }
    }
}
