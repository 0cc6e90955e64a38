using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Warden.Interop;

namespace Warden.Platforms.Ptrace;

/// <summary>
/// A wake-up signal from any number of ringers to one waiter, for the hand-offs between callers and
/// a stub's operations thread: a futex word, so that waking a blocked waiter costs one system call on each side
/// (a monitor's wait and pulse cost several times that, which showed in every round trip).
/// Optionally the waiter spins for a while before it blocks.
/// </summary>
/// <remarks>
/// <para>
/// The word is 0 (idle), 1 (rung, not yet taken) or 2 (the waiter is asleep, or about to be).
/// Rings do not count: several rings before a <see cref="Wait"/> wake it once, so a waiter re-checks
/// whatever the ringers changed after each wake-up. A ring is never lost: one that comes after
/// <see cref="Wait"/> took the previous one makes the next <see cref="Wait"/> return at once.
/// </para>
/// <para>Thread rules: <see cref="Ring"/> from any thread; <see cref="Wait"/> from one thread at a time.</para>
/// </remarks>
[SupportedOSPlatform("linux")]
internal sealed unsafe class Doorbell
{
    private const int Idle = 0;
    private const int Rung = 1;
    private const int Sleeping = 2;

    private readonly long _spinTicks;

    // The futex word, alone on a cache line of a pinned array so that its address never changes.
    private readonly int[] _cell = GC.AllocateArray<int>(16, pinned: true);

    /// <summary>Creates a doorbell whose waiter spins for <paramref name="spin"/> before it blocks.</summary>
    public Doorbell(TimeSpan spin)
    {
        _spinTicks = (long)(spin.TotalSeconds * Stopwatch.Frequency);
    }

    private ref int State => ref MemoryMarshal.GetArrayDataReference(_cell);

    private int* Word => (int*)Unsafe.AsPointer(ref State);

    /// <summary>Wakes the waiter, or makes its next <see cref="Wait"/> return at once.</summary>
    public void Ring()
    {
        if (Interlocked.Exchange(ref State, Rung) == Sleeping)
        {
            _ = Libc.FutexWake(Word, 1);
        }
    }

    /// <summary>Returns once the doorbell has been rung since the last <see cref="Wait"/> returned.</summary>
    public void Wait()
    {
        if (TryTake())
        {
            return;
        }
        if (_spinTicks > 0)
        {
            long start = Stopwatch.GetTimestamp();
            do
            {
                for (int i = 0; i < 16; i++)
                {
                    if (Volatile.Read(ref State) == Rung && TryTake())
                    {
                        return;
                    }
                    Thread.SpinWait(4);
                }
            }
            while (Stopwatch.GetTimestamp() - start < _spinTicks);
        }
        while (true)
        {
            // Announce the sleep; a ring in between shows as Rung and is taken instead.
            int seen = Interlocked.CompareExchange(ref State, Sleeping, Idle);
            if (seen == Rung)
            {
                if (TryTake())
                {
                    return;
                }
                continue;
            }
            // EAGAIN (a ring changed the word first) and EINTR just mean: look again.
            _ = Libc.FutexWait(Word, Sleeping);
            if (TryTake())
            {
                return;
            }
        }
    }

    private bool TryTake() => Interlocked.CompareExchange(ref State, Idle, Rung) == Rung;
}
