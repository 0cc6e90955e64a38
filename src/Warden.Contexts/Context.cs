using System.Diagnostics.CodeAnalysis;

namespace Warden.Contexts;

/// <summary>Ready-made contexts and ways to derive new ones.</summary>
public static class Context
{
    /// <summary>A context that is never cancelled and holds no values, for tests and simple callers.</summary>
    public static IContext Background { get; } = new BackgroundContext();

    /// <summary>Returns a context like <paramref name="parent"/> that also holds <paramref name="value"/> under <paramref name="key"/>.</summary>
    public static IContext WithValue<T>(this IContext parent, ContextKey<T> key, T value)
    {
        ArgumentNullException.ThrowIfNull(parent);
        ArgumentNullException.ThrowIfNull(key);
        return new ValueContext<T>(parent, key, value);
    }

    /// <summary>
    /// Returns a context like <paramref name="parent"/> that is cancelled when either the parent or
    /// <paramref name="token"/> is.
    /// </summary>
    /// <remarks>
    /// When both can be cancelled, the returned context owns a linked token source that lives as long
    /// as the context; derive such contexts per operation, not per copy.
    /// </remarks>
    public static IContext WithCancellation(this IContext parent, CancellationToken token)
    {
        ArgumentNullException.ThrowIfNull(parent);
        CancellationToken combined = !parent.CancellationToken.CanBeCanceled ? token
            : !token.CanBeCanceled ? parent.CancellationToken
            : CancellationTokenSource.CreateLinkedTokenSource(parent.CancellationToken, token).Token;
        return new CancellableContext(parent, combined);
    }

    /// <summary>Returns the value under <paramref name="key"/>, or <paramref name="fallback"/> if there is none.</summary>
    public static T GetValueOrDefault<T>(this IContext context, ContextKey<T> key, T fallback)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.TryGetValue(key, out T? value) ? value : fallback;
    }

    private sealed class BackgroundContext : IContext
    {
        public CancellationToken CancellationToken => CancellationToken.None;

        public bool TryGetValue<T>(ContextKey<T> key, [MaybeNullWhen(false)] out T value)
        {
            value = default;
            return false;
        }

        public override string ToString() => "Context.Background";
    }

    private sealed class ValueContext<TStored>(IContext parent, ContextKey<TStored> key, TStored value) : IContext
    {
        public CancellationToken CancellationToken => parent.CancellationToken;

        public bool TryGetValue<T>(ContextKey<T> wanted, [MaybeNullWhen(false)] out T result)
        {
            if (ReferenceEquals(wanted, key))
            {
                // The keys are the same object, so T and TStored are the same type.
                result = (T)(object?)value!;
                return true;
            }
            return parent.TryGetValue(wanted, out result);
        }
    }

    private sealed class CancellableContext(IContext parent, CancellationToken token) : IContext
    {
        public CancellationToken CancellationToken => token;

        public bool TryGetValue<T>(ContextKey<T> key, [MaybeNullWhen(false)] out T value) =>
            parent.TryGetValue(key, out value);
    }
}
