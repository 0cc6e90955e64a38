using System.Diagnostics.CodeAnalysis;

namespace Warden.Contexts;

/// <summary>
/// What an operation on behalf of a program carries with it (Go's <c>context.Context</c>): a
/// cancellation signal that interrupts blocking work, and typed values keyed by
/// <see cref="ContextKey{T}"/>.
/// </summary>
/// <remarks>
/// <para>Implementations are immutable and safe to share between threads.</para>
/// <para>What Warden reads from it: the memory manager stops its long operations when
/// <see cref="CancellationToken"/> is signalled, between chunks of work, and returns EINTR with the
/// work done so far kept (populating for MAP_POPULATE, mlock, mlockall and locked growth; msync's
/// write-back, between files); copies and faults are short and do not look. Values are for the
/// layers above and for mappables: a kernel stores its task here, so that a file's mappable can
/// tell on whose behalf it is called.</para>
/// </remarks>
public interface IContext
{
    /// <summary>Signalled when the operation should stop (the task was interrupted or killed); long operations then end with EINTR.</summary>
    CancellationToken CancellationToken { get; }

    /// <summary>Looks up the value stored under <paramref name="key"/> in this context or its parents.</summary>
    bool TryGetValue<T>(ContextKey<T> key, [MaybeNullWhen(false)] out T value);
}
