using Warden.HostArch;

namespace Warden.Platforms.Ptrace;

/// <summary>
/// Where the stub lives in every stub process: one page at the top of the x86-64 user range (the
/// only memory left there once the stub has cleared its address space), and how it is laid out.
/// </summary>
/// <remarks>
/// <para>
/// The page is read-and-execute for the stub's threads. Its first half holds the stub's code; its
/// second half is scratch space that only Warden writes (through <c>/proc/PID/mem</c>, which ignores
/// page protections): the path of a file for an injected <c>open</c>, and the table of a batch of
/// <c>munmap</c> calls; plus, written once at start-up, the seccomp filter's <c>sock_fprog</c>, and
/// the parking loop's futex word. Application code, which may run in other threads of the stub at the same
/// time, can read that space but not change it: what the stub's threads act on is only ever what
/// Warden put there. (The page is readable, so an application can see those paths: they name
/// Warden's process id and descriptor numbers, nothing more.)
/// </para>
/// <para>Application mappings must stay below <see cref="StubPage"/>, which is the platform's
/// <c>MaxUserAddress</c>.</para>
/// </remarks>
internal static class StubLayout
{
    /// <summary>The end of the user range with 4-level page tables (<c>TASK_SIZE</c> on x86-64).</summary>
    public const ulong UserTop = Arch.TaskSize;

    /// <summary>The stub's page.</summary>
    public const ulong StubPage = UserTop - Arch.PageSize;

    /// <summary>How many bytes at the start of the page the code may take.</summary>
    public const int CodeCapacity = Arch.PageSize / 2;

    /// <summary>Where a NUL-terminated path for an injected <c>open</c> is written.</summary>
    public const ulong PathAddress = StubPage + CodeCapacity;

    /// <summary>The most bytes a path may take, NUL included.</summary>
    public const int PathCapacity = 256;

    /// <summary>Where the start-up code puts the <c>struct sock_fprog</c> of the seccomp filter (16 bytes).</summary>
    public const ulong FilterProgramAddress = PathAddress + PathCapacity;

    /// <summary>
    /// The word the parking loop waits on: zero for ever (the page starts zeroed and nothing writes
    /// here), and 16-byte aligned, as a futex word must be (at least 4).
    /// </summary>
    public const ulong ParkWordAddress = FilterProgramAddress + 16;

    /// <summary>Where the table of a batch of <c>munmap</c> calls starts.</summary>
    public const ulong TableAddress = ParkWordAddress + 16;

    /// <summary>The size of one table entry: an address and a length.</summary>
    public const int EntrySize = 16;

    /// <summary>How many entries the table holds.</summary>
    public const int TableCapacity = 64;
}
