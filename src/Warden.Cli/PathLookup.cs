using Warden.Errors;

namespace Warden.Cli;

/// <summary>Finds a program by name on a search path, as a shell (or <c>execvp(3)</c>) does.</summary>
internal static class PathLookup
{
    /// <summary>The search path when PATH is unset: glibc's <c>execvp</c> default.</summary>
    public const string DefaultSearchPath = "/bin:/usr/bin";

    /// <summary>Where <paramref name="program"/> is run from.</summary>
    /// <param name="program">The program as typed. A name with a slash is a path and is not looked up.</param>
    /// <param name="searchPath">The PATH: directories separated by colons, an empty one meaning the working directory; <c>null</c> for <see cref="DefaultSearchPath"/>.</param>
    /// <param name="workingDirectory">The sandbox's working directory (absolute), against which relative directories are taken.</param>
    /// <param name="probe">What looks at each candidate.</param>
    /// <returns>
    /// The path to hand to the kernel: <paramref name="program"/> itself if it has a slash; otherwise
    /// the absolute path of the first executable file of that name on the search path, or failing
    /// that of the first file of that name (the kernel then refuses it with EACCES, as a shell
    /// does); or ENOENT when there is none.
    /// </returns>
    public static (string? Path, Errno? Error) Resolve(string program, string? searchPath, string workingDirectory, IExecutableProbe probe)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(workingDirectory);
        ArgumentNullException.ThrowIfNull(probe);
        if (program.Length == 0)
        {
            return (null, Errno.ENOENT);
        }
        if (program.Contains('/', StringComparison.Ordinal))
        {
            return (program, null);
        }
        string? fallback = null;
        foreach (string entry in (searchPath ?? DefaultSearchPath).Split(':'))
        {
            string directory = entry.Length == 0 ? workingDirectory : entry[0] == '/' ? entry : Path.Join(workingDirectory, entry);
            string candidate = Path.Join(directory, program);
            switch (probe.Probe(candidate))
            {
                case ProbeResult.Executable:
                    return (candidate, null);
                case ProbeResult.NotExecutable:
                    fallback ??= candidate;
                    break;
            }
        }
        return fallback is null ? (null, Errno.ENOENT) : (fallback, null);
    }
}
