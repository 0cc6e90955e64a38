using System.Diagnostics.CodeAnalysis;

namespace Warden.Contexts;

/// <summary>
/// What an operation on behalf of a program carries with it (Go's <c>context.Context</c>): a
/// cancellation signal that interrupts blocking work, and typed values keyed by
/// <see cref="ContextKey{T}"/>.
/// </summary>
/// <remarks>Implementations are immutable and safe to share between threads.</remarks>
public interface IContext
{
    /// <summary>Signalled when the operation should stop (the task was interrupted or killed).</summary>
    CancellationToken CancellationToken { get; }

    /// <summary>Looks up the value stored under <paramref name="key"/> in this context or its parents.</summary>
    bool TryGetValue<T>(ContextKey<T> key, [MaybeNullWhen(false)] out T value);
}
