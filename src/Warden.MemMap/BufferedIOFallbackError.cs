using Warden.Errors;

namespace Warden.MemMap;

/// <summary>
/// Returned by <see cref="IFile.MapInternal"/> when the file cannot be mapped into Warden but its
/// memory-mapped I/O can still be served by <see cref="IFile.BufferReadAt"/> and <see cref="IFile.BufferWriteAt"/>.
/// </summary>
public sealed class BufferedIOFallbackError : Error
{
    private BufferedIOFallbackError()
    {
    }

    /// <summary>The single instance.</summary>
    public static BufferedIOFallbackError Instance { get; } = new();

    /// <inheritdoc/>
    public override string Message => "memmap.File.MapInternal: buffered I/O fallback is required";
}
