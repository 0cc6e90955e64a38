using System.CommandLine;
using System.CommandLine.Parsing;

namespace Warden.Cli;

/// <summary>The <c>warden</c> command: its subcommands, how its command line is parsed, and what a bad one exits with.</summary>
internal static class WardenCommandLine
{
    /// <summary>Makes the root command with every subcommand.</summary>
    public static RootCommand Create() => new("Warden: a user-space kernel that runs Linux programs with every byte of their memory managed by Warden.")
    {
        BenchCommand.Create(),
        new RunCommand(),
    };

    /// <summary>Parses <paramref name="args"/> (Warden's command line, without its name).</summary>
    /// <remarks>
    /// No response files: a program's argument starting with <c>@</c> is the program's. The end of
    /// Warden's options in <c>warden run</c> is marked first (<see cref="RunCommand.SeparateProgram"/>).
    /// </remarks>
    public static ParseResult Parse(string[] args) =>
        Create().Parse(RunCommand.SeparateProgram(args), new ParserConfiguration { ResponseFileTokenReplacer = null });

    /// <summary>Runs Warden's command line and returns its exit status.</summary>
    /// <param name="args">The command line, without Warden's name.</param>
    /// <param name="error">Where Warden's own messages go; <c>null</c> for standard error.</param>
    /// <remarks>
    /// A bad <c>warden run</c> command line exits 125, as <c>env</c> and <c>chroot</c> do, so that it
    /// cannot be taken for a status of the program's.
    /// </remarks>
    public static int Invoke(string[] args, TextWriter? error = null)
    {
        ParseResult parseResult = Parse(args);
        // Warden passes SIGINT and SIGTERM to the program itself (SignalForwarder).
        var configuration = new InvocationConfiguration { ProcessTerminationTimeout = null, Error = error ?? Console.Error };
        if (parseResult.CommandResult.Command is RunCommand && (parseResult.Errors.Count > 0 || RunCommand.UnknownOption(args) is not null))
        {
            if (RunCommand.UnknownOption(args) is string unknown)
            {
                configuration.Error.WriteLine($"warden: run: unrecognized option '{unknown}'");
            }
            foreach (ParseError parseError in parseResult.Errors)
            {
                configuration.Error.WriteLine($"warden: {parseError.Message}");
            }
            configuration.Error.WriteLine("Try 'warden run --help'.");
            return ShellStatus.WardenFailed;
        }
        return parseResult.Invoke(configuration);
    }
}
