namespace Warden.Kernel.Signals;

/// <summary>
/// A task's alternate signal stack (sigaltstack(2)'s <c>stack_t</c>): where handlers with
/// SA_ONSTACK run. Disabled (SS_DISABLE) until set.
/// </summary>
internal readonly record struct SignalStack(ulong Sp, ulong Size, int Flags)
{
    /// <summary><c>SS_ONSTACK</c>: the task is running on the stack now.</summary>
    public const int SS_ONSTACK = 1;

    /// <summary><c>SS_DISABLE</c>: no alternate stack.</summary>
    public const int SS_DISABLE = 2;

    /// <summary><c>SS_AUTODISARM</c>: the stack is disabled while a handler runs on it.</summary>
    public const int SS_AUTODISARM = unchecked((int)0x80000000);

    /// <summary>The smallest stack sigaltstack accepts (x86-64's MINSIGSTKSZ).</summary>
    public const ulong MinSize = 2048;

    /// <summary>No alternate stack.</summary>
    public static SignalStack Disabled { get; } = new(0, 0, SS_DISABLE);

    /// <summary>Whether an alternate stack is set.</summary>
    public bool IsEnabled => (Flags & SS_DISABLE) == 0 && Size != 0;

    /// <summary>Whether <paramref name="sp"/> lies on the stack.</summary>
    public bool Contains(ulong sp) => IsEnabled && sp > Sp && sp - Sp <= Size;

    /// <summary>The flags sigaltstack reports (and a frame saves) for a task whose stack pointer is <paramref name="sp"/>.</summary>
    public int FlagsFor(ulong sp) => !IsEnabled ? SS_DISABLE : Contains(sp) ? SS_ONSTACK | (Flags & SS_AUTODISARM) : Flags;

    /// <summary>
    /// The stack after sigreturn restores the one a frame saved: Linux's restore_altstack sets it
    /// again unless the task is still running on the current one (then it is kept).
    /// </summary>
    public SignalStack RestoredFrom(ulong sp, int flags, ulong size, ulong restoredRsp)
    {
        if (Contains(restoredRsp))
        {
            return this;
        }
        if ((flags & SS_DISABLE) != 0)
        {
            return Disabled;
        }
        return size < MinSize ? this : new SignalStack(sp, size, flags & SS_AUTODISARM);
    }
}
