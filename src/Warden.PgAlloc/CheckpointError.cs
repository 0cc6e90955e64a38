using Warden.Errors;

namespace Warden.PgAlloc;

/// <summary>Why <see cref="MemoryFile.LoadFrom"/> rejected a checkpoint stream.</summary>
public enum CheckpointProblem
{
    /// <summary>The stream does not start with the memory-file checkpoint magic.</summary>
    BadMagic,

    /// <summary>The stream is of a format version this build cannot read.</summary>
    UnsupportedVersion,

    /// <summary>The stream ended before the checkpoint did.</summary>
    Truncated,

    /// <summary>A record's checksum does not match its contents.</summary>
    ChecksumMismatch,

    /// <summary>The records are well checksummed but describe an impossible state.</summary>
    Malformed,
}

/// <summary>A checkpoint stream that <see cref="MemoryFile.LoadFrom"/> could not accept.</summary>
/// <param name="problem">What is wrong with it.</param>
/// <param name="detail">Where, in words.</param>
public sealed class CheckpointError(CheckpointProblem problem, string detail) : Error
{
    /// <summary>What is wrong with the stream.</summary>
    public CheckpointProblem Problem { get; } = problem;

    /// <inheritdoc/>
    public override string Message { get; } = $"memory file checkpoint rejected ({problem}): {detail}";
}
