namespace Warden.Platforms.Ptrace;

/// <summary>
/// Stands for one thread of Warden for as long as it lives: an object made on the thread's first
/// use and never shared with another thread, unlike thread ids, which are reused.
/// </summary>
/// <remarks>
/// The ptrace platform keys a thread's stub threads (which only that thread may trace) by it.
/// </remarks>
internal sealed class ThreadToken
{
    [ThreadStatic]
    private static ThreadToken? t_current;

    private ThreadToken()
    {
    }

    /// <summary>The calling thread's token.</summary>
    public static ThreadToken Current => t_current ??= new ThreadToken();
}
