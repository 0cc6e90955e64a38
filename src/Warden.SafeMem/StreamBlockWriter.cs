using Warden.Errors;

namespace Warden.SafeMem;

/// <summary>An <see cref="IWriter"/> that writes to a <see cref="Stream"/> (Go's <c>safemem.FromIOWriter</c>).</summary>
/// <remarks>
/// Each block is written whole; an <see cref="IOException"/> becomes an <see cref="ExceptionError"/>
/// with the count of the blocks written before it. Not thread-safe.
/// </remarks>
public sealed class StreamBlockWriter(Stream stream) : IWriter
{
    private readonly Stream _stream = stream ?? throw new ArgumentNullException(nameof(stream));

    /// <inheritdoc/>
    public (ulong Count, Error? Error) WriteFromBlocks(BlockSeq srcs)
    {
        ulong done = 0;
        foreach (Block block in srcs)
        {
            try
            {
                _stream.Write(block.AsSpan());
            }
            catch (IOException e)
            {
                return (done, new ExceptionError(e));
            }
            done += (ulong)block.Length;
        }
        return (done, null);
    }
}
