using Warden.Errors;

namespace Warden.Cli;

/// <summary>One copy through one of the paths <see cref="CopyThroughputBench"/> measures.</summary>
/// <remarks>
/// Implemented by structs, so that the timing loop of <see cref="CopyCell{TOperation}"/> is compiled
/// separately for each path with <see cref="Run"/> inlined into it: the loop adds no call of its
/// own to what is measured.
/// </remarks>
internal interface ICopyOperation
{
    /// <summary>The path's name, as the table shows it.</summary>
    string Name { get; }

    /// <summary>Copies the operation's bytes once.</summary>
    /// <returns>The number of bytes copied and the path's error (null when all were copied).</returns>
    (long Count, Error? Error) Run();
}
