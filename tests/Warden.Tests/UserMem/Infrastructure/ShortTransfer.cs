using Warden.Errors;
using Warden.SafeMem;

namespace Warden.Tests.UserMem.Infrastructure;

/// <summary>
/// An <see cref="IReader"/> that serves bytes from <c>data</c> but at most <c>maxBytes</c> per call;
/// when it gives fewer bytes than asked it returns <c>shortError</c> (which may be <c>null</c>: a
/// short read without an error, as <c>read(2)</c> may give). Records every call.
/// </summary>
public sealed class ShortReader(byte[] data, long maxBytes = long.MaxValue, Error? shortError = null) : IReader
{
    private int _position;

    /// <summary>How many times <see cref="ReadToBlocks"/> was called.</summary>
    public int Calls { get; private set; }

    /// <summary>The <c>NumBytes</c> of the blocks of each call.</summary>
    public List<ulong> Requested { get; } = [];

    /// <summary>The number of blocks of each call.</summary>
    public List<int> RequestedBlocks { get; } = [];

    /// <inheritdoc/>
    public (ulong Count, Error? Error) ReadToBlocks(BlockSeq dsts)
    {
        Calls++;
        Requested.Add(dsts.NumBytes);
        RequestedBlocks.Add(dsts.NumBlocks);
        ulong want = Math.Min(dsts.NumBytes, (ulong)Math.Min(maxBytes, data.Length - _position));
        ulong done = 0;
        foreach (Block block in dsts)
        {
            if (done == want)
            {
                break;
            }
            int chunk = (int)Math.Min((ulong)block.Length, want - done);
            data.AsSpan(_position, chunk).CopyTo(block.AsSpan());
            _position += chunk;
            done += (ulong)chunk;
        }
        return done < dsts.NumBytes ? (done, shortError) : (done, null);
    }
}

/// <summary>
/// An <see cref="IWriter"/> that accepts at most <c>maxBytes</c> per call; when it takes fewer bytes
/// than offered it returns <c>shortError</c> (possibly <c>null</c>). Keeps what it was given.
/// </summary>
public sealed class ShortWriter(long maxBytes = long.MaxValue, Error? shortError = null) : IWriter
{
    private readonly List<byte> _written = [];

    /// <summary>How many times <see cref="WriteFromBlocks"/> was called.</summary>
    public int Calls { get; private set; }

    /// <summary>The <c>NumBytes</c> of the blocks of each call.</summary>
    public List<ulong> Offered { get; } = [];

    /// <summary>Everything written so far.</summary>
    public byte[] Written => [.. _written];

    /// <inheritdoc/>
    public (ulong Count, Error? Error) WriteFromBlocks(BlockSeq srcs)
    {
        Calls++;
        Offered.Add(srcs.NumBytes);
        ulong want = Math.Min(srcs.NumBytes, (ulong)maxBytes);
        ulong done = 0;
        foreach (Block block in srcs)
        {
            if (done == want)
            {
                break;
            }
            int chunk = (int)Math.Min((ulong)block.Length, want - done);
            _written.AddRange(block.AsSpan(chunk).ToArray());
            done += (ulong)chunk;
        }
        return done < srcs.NumBytes ? (done, shortError) : (done, null);
    }
}
