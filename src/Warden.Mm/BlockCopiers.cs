using Warden.Errors;
using Warden.SafeMem;

namespace Warden.Mm;

/// <summary>Copies the caller's bytes into application memory.</summary>
internal readonly ref struct CopyOutCopier(ReadOnlySpan<byte> source) : IBlockCopier
{
    private readonly ReadOnlySpan<byte> _source = source;

    public bool TryCopyAll(Span<byte> memory)
    {
        _source.CopyTo(memory);
        return true;
    }

    public (ulong Count, Error? Error) Copy(BlockSeq blocks, ulong done) =>
        ((ulong)BlockCopy.CopyFromSpan(blocks, _source[(int)done..]), null);
}

/// <summary>Copies application memory into the caller's buffer.</summary>
internal readonly ref struct CopyInCopier(Span<byte> destination) : IBlockCopier
{
    private readonly Span<byte> _destination = destination;

    public bool TryCopyAll(Span<byte> memory)
    {
        memory.CopyTo(_destination);
        return true;
    }

    public (ulong Count, Error? Error) Copy(BlockSeq blocks, ulong done) =>
        ((ulong)BlockCopy.CopyToSpan(blocks, _destination[(int)done..]), null);
}

/// <summary>Zeroes application memory.</summary>
internal readonly struct ZeroCopier : IBlockCopier
{
    public (ulong Count, Error? Error) Copy(BlockSeq blocks, ulong done) => (BlockCopy.ZeroSeq(blocks), null);

    public bool TryCopyAll(Span<byte> memory)
    {
        memory.Clear();
        return true;
    }
}

/// <summary>Fills application memory from an <see cref="IReader"/>.</summary>
internal readonly struct ReaderCopier(IReader reader) : IBlockCopier
{
    // The reader is given blocks, never a span.
    public bool TryCopyAll(Span<byte> memory) => false;

    public (ulong Count, Error? Error) Copy(BlockSeq blocks, ulong done)
    {
        (ulong n, Error? error) = reader.ReadToBlocks(blocks);
        return (n, error);
    }
}

/// <summary>Drains application memory into an <see cref="IWriter"/>.</summary>
internal readonly struct WriterCopier(IWriter writer) : IBlockCopier
{
    // The writer is given blocks, never a span.
    public bool TryCopyAll(Span<byte> memory) => false;

    public (ulong Count, Error? Error) Copy(BlockSeq blocks, ulong done)
    {
        (ulong n, Error? error) = writer.WriteFromBlocks(blocks);
        return (n, error);
    }
}
