using Warden.Errors;
using Warden.SafeMem;

namespace Warden.Tests.Infrastructure;

/// <summary>One scripted call of a <see cref="ScriptedReader"/> or <see cref="ScriptedWriter"/>.</summary>
/// <param name="MaxCount">The most bytes the call transfers (it transfers fewer if fewer are offered).</param>
/// <param name="Error">The error the call returns alongside its count.</param>
public readonly record struct ScriptStep(int MaxCount, Error? Error)
{
    /// <summary>A call that transfers everything it is offered.</summary>
    public static ScriptStep All => new(int.MaxValue, null);

    /// <summary>A call that transfers nothing and says nothing.</summary>
    public static ScriptStep Nothing => new(0, null);
}

/// <summary>
/// An <see cref="IReader"/> whose calls follow a script: each call takes the next step (then repeats
/// <c>afterScript</c>) and reads at most the step's count from <c>data</c>, returning the step's error.
/// It records every call, so tests can check what a caller asked for.
/// </summary>
public sealed class ScriptedReader(byte[] data, ScriptStep afterScript, params ScriptStep[] script) : IReader
{
    private int _position;

    /// <summary>The <c>NumBytes</c> of each call's destination, in order.</summary>
    public List<ulong> Requests { get; } = [];

    /// <summary>How many bytes of the data have been handed out.</summary>
    public int Position => _position;

    public (ulong Count, Error? Error) ReadToBlocks(BlockSeq dsts)
    {
        ScriptStep step = Requests.Count < script.Length ? script[Requests.Count] : afterScript;
        Requests.Add(dsts.NumBytes);
        int budget = (int)Math.Min((ulong)step.MaxCount, Math.Min(dsts.NumBytes, (ulong)(data.Length - _position)));
        int done = 0;
        foreach (Block block in dsts)
        {
            if (done == budget)
            {
                break;
            }
            int n = Math.Min(block.Length, budget - done);
            data.AsSpan(_position + done, n).CopyTo(block.AsSpan());
            done += n;
        }
        _position += done;
        return ((ulong)done, step.Error);
    }
}

/// <summary>
/// An <see cref="IWriter"/> whose calls follow a script, as <see cref="ScriptedReader"/>'s do; the
/// bytes it accepts are appended to <see cref="Written"/>.
/// </summary>
public sealed class ScriptedWriter(ScriptStep afterScript, params ScriptStep[] script) : IWriter
{
    /// <summary>The <c>NumBytes</c> of each call's source, in order.</summary>
    public List<ulong> Requests { get; } = [];

    /// <summary>Every byte accepted so far.</summary>
    public List<byte> Written { get; } = [];

    public (ulong Count, Error? Error) WriteFromBlocks(BlockSeq srcs)
    {
        ScriptStep step = Requests.Count < script.Length ? script[Requests.Count] : afterScript;
        Requests.Add(srcs.NumBytes);
        int budget = (int)Math.Min((ulong)step.MaxCount, srcs.NumBytes);
        int done = 0;
        foreach (Block block in srcs)
        {
            if (done == budget)
            {
                break;
            }
            int n = Math.Min(block.Length, budget - done);
            Written.AddRange(block.AsSpan(n));
            done += n;
        }
        return ((ulong)done, step.Error);
    }
}
