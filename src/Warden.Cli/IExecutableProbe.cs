namespace Warden.Cli;

/// <summary>What <see cref="IExecutableProbe"/> found at a path.</summary>
internal enum ProbeResult
{
    /// <summary>Nothing, or something that is not a file (a directory): the search goes on.</summary>
    Missing,

    /// <summary>A regular file without execute permission: the search goes on, but it is the fallback.</summary>
    NotExecutable,

    /// <summary>A regular file this user may execute.</summary>
    Executable,
}

/// <summary>Looks at a path inside the sandbox for <see cref="PathLookup"/>.</summary>
internal interface IExecutableProbe
{
    /// <summary>What is at <paramref name="path"/> (absolute, inside the sandbox).</summary>
    ProbeResult Probe(string path);
}
