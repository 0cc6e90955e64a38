using Warden.Contexts;
using Warden.Errors;
using Warden.HostArch;
using Warden.MemMap;

namespace Warden.Mm;

public sealed partial class MemoryManager
{
    // Linux maps the initial stack with 128 KiB (stack_expand) and grows it on faults.
    private const ulong InitialStackSize = 128UL << 10;

    /// <summary>
    /// Maps the main thread's stack near the top of the address space, shown as <c>[stack]</c>:
    /// a grows-down read/write mapping of 128 KiB whose top is below the layout's end by a random
    /// page-aligned amount (up to <see cref="MmapLayout.MaxStackRandomization"/>), growing on faults
    /// up to RLIMIT_STACK.
    /// </summary>
    /// <returns>The stack's range; ENOMEM when it does not fit.</returns>
    public (AddrRange Range, Error? Error) MapStack(IContext ctx)
    {
        ulong random = 0;
        if (_random is not null && _layout.MaxStackRandomization > 0)
        {
            lock (_random)
            {
                random = Arch.PageRoundDown((ulong)_random.NextInt64((long)_layout.MaxStackRandomization));
            }
        }
        ulong top = _layout.MaxAddress - random;
        ulong size = Math.Min(InitialStackSize, _limits.Stack == 0 ? InitialStackSize : Arch.PageRoundDown(Math.Max(_limits.Stack, Arch.PageSize)));
        if (top < _layout.MinAddress + size)
        {
            return (default, Errno.ENOMEM);
        }
        (Addr addr, Error? error) = MMap(ctx, new MMapOpts
        {
            Length = size,
            Addr = (Addr)(top - size),
            Fixed = true,
            Unmap = false,
            Perms = AccessType.ReadWrite,
            MaxPerms = AccessType.AnyAccess,
            Private = true,
            GrowsDown = true,
            Stack = true,
            NameMut = NameMut.Anon,
        });
        if (error is not null)
        {
            return (default, error);
        }
        return (Range(addr.Value, addr.Value + size), null);
    }
}
