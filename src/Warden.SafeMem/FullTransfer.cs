using Warden.Errors;

namespace Warden.SafeMem;

/// <summary>Reads and writes that keep going until every byte is transferred or an error stops them.</summary>
public static class FullTransfer
{
    // A reader or writer may legitimately return short counts; this many calls in a row that move
    // nothing and say nothing means it never will.
    private const int MaxConsecutiveEmptyCalls = 100;

    /// <summary>Calls <paramref name="reader"/> until <paramref name="dsts"/> is full or it returns an error.</summary>
    /// <returns>
    /// The bytes read; fewer than <c>dsts.NumBytes</c> only with an error (the reader's, or
    /// <see cref="WellKnownErrors.NoProgress"/> if it stops making progress without one).
    /// </returns>
    public static (ulong Count, Error? Error) ReadFullToBlocks(this IReader reader, BlockSeq dsts)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return TransferAll(new ReadStep(reader), dsts);
    }

    /// <summary>Calls <paramref name="writer"/> until all of <paramref name="srcs"/> is written or it returns an error.</summary>
    /// <returns>
    /// The bytes written; fewer than <c>srcs.NumBytes</c> only with an error (the writer's, or
    /// <see cref="WellKnownErrors.NoProgress"/> if it stops making progress without one).
    /// </returns>
    public static (ulong Count, Error? Error) WriteFullFromBlocks(this IWriter writer, BlockSeq srcs)
    {
        ArgumentNullException.ThrowIfNull(writer);
        return TransferAll(new WriteStep(writer), srcs);
    }

    private static (ulong Count, Error? Error) TransferAll<TStep>(TStep step, BlockSeq blocks)
        where TStep : struct, ITransferStep
    {
        ulong done = 0;
        int emptyCalls = 0;
        while (!blocks.IsEmpty)
        {
            (ulong n, Error? error) = step.Transfer(blocks);
            done += n;
            if (error is not null)
            {
                return (done, error);
            }
            emptyCalls = n == 0 ? emptyCalls + 1 : 0;
            if (emptyCalls == MaxConsecutiveEmptyCalls)
            {
                return (done, WellKnownErrors.NoProgress);
            }
            blocks = blocks.DropFirst64(n);
        }
        return (done, null);
    }

    private interface ITransferStep
    {
        (ulong Count, Error? Error) Transfer(BlockSeq blocks);
    }

    private readonly struct ReadStep(IReader reader) : ITransferStep
    {
        public (ulong Count, Error? Error) Transfer(BlockSeq blocks) => reader.ReadToBlocks(blocks);
    }

    private readonly struct WriteStep(IWriter writer) : ITransferStep
    {
        public (ulong Count, Error? Error) Transfer(BlockSeq blocks) => writer.WriteFromBlocks(blocks);
    }
}
