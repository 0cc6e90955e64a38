namespace Warden.Contexts;

/// <summary>
/// A key for a typed value in an <see cref="IContext"/>. Keys compare by identity: keep each in a
/// static field.
/// </summary>
/// <typeparam name="T">The type of the value stored under this key.</typeparam>
public sealed class ContextKey<T>
{
    /// <summary>Creates a key; <paramref name="name"/> is for diagnostics only.</summary>
    public ContextKey(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
    }

    /// <summary>The diagnostic name of this key.</summary>
    public string Name { get; }

    /// <inheritdoc/>
    public override string ToString() => Name;
}
