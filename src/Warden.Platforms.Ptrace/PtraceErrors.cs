using Warden.Errors;

namespace Warden.Platforms.Ptrace;

/// <summary>The errors particular to the ptrace platform.</summary>
/// <remarks>Each is a single preallocated instance: compare by reference or with <see cref="Error.Is"/>.</remarks>
public static class PtraceErrors
{
    /// <summary>
    /// The stub process behind an address space is gone: killed from outside, exited, or killed by
    /// Warden after a failure that left its mappings in doubt. Every later operation on that address
    /// space fails with this error; make a new one.
    /// </summary>
    public static readonly SentinelError StubDied = new("the ptrace stub process is gone");

    /// <summary>
    /// A thread's floating-point state, lent to a stub thread (see <see cref="PtraceContext"/>), cannot
    /// be had back: the stub died before giving it back, or the stub thread holding it is traced by
    /// another Warden thread than the caller (the context moved threads without
    /// <see cref="PtraceContext.PullFPState"/> first). The caller can put a new state in
    /// <c>ArchContext.FPState</c> (for example with <c>Reset</c>) and switch again.
    /// </summary>
    public static readonly SentinelError FPStateLost = new("the thread's floating-point state is out of reach in a ptrace stub");
}
