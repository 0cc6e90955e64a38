using System.CommandLine;
using System.CommandLine.Parsing;

namespace Warden.Cli;

/// <summary>
/// <c>warden run [options] [--] PROGRAM [ARGS...]</c>: runs a Linux program on Warden's kernel, or
/// with no program the built-in demonstration.
/// </summary>
/// <remarks>
/// Options come before the program, as for <c>env</c> or <c>strace</c>: everything from the
/// program's name on is the program's (see <see cref="SeparateProgram"/>).
/// </remarks>
internal sealed class RunCommand : Command
{
    // The options that take a value: the word after one of them is its value, not the program.
    private static readonly string[] s_valuedOptions = ["--strace-file", "--root", "--env", "--platform"];

    // The options that take none, help's spellings included.
    private static readonly string[] s_flags = ["--strace", "--maps", "--stats", "--read-only", "--clear-env", "-h", "--help", "-?", "/?", "/h"];

    /// <summary>Makes the command, with its options and its action (which runs the program and exits with its status).</summary>
    public RunCommand()
        : base("run", "Run an unmodified x86-64 Linux program (static, dynamic or #! script) with every byte of its memory managed by Warden; with no program, a built-in demonstration. Options go before PROGRAM: every word from PROGRAM on is the program's.")
    {
        Options.Add(StraceOption);
        Options.Add(StraceFileOption);
        Options.Add(MapsOption);
        Options.Add(StatsOption);
        Options.Add(RootOption);
        Options.Add(ReadOnlyOption);
        Options.Add(EnvOption);
        Options.Add(ClearEnvOption);
        Options.Add(PlatformOption);
        Arguments.Add(ProgramArgument);

        EnvOption.Validators.Add(result =>
        {
            foreach (string setting in result.GetValueOrDefault<string[]>() ?? [])
            {
                if (setting.IndexOf('=', StringComparison.Ordinal) <= 0)
                {
                    result.AddError($"--env: '{setting}' is not NAME=VALUE.");
                }
            }
        });
        PlatformOption.Validators.Add(result =>
        {
            string? platform = result.GetValueOrDefault<string>();
            if (platform != RunOptions.PtracePlatform)
            {
                result.AddError($"--platform: unknown platform '{platform}' (choices: {RunOptions.PtracePlatform}).");
            }
        });
        SetAction(parseResult => ProgramRunner.RunProgram(ReadOptions(parseResult), parseResult.InvocationConfiguration.Error));
    }

    /// <summary><c>--strace</c>.</summary>
    public Option<bool> StraceOption { get; } = new("--strace")
    {
        Description = "Print every system call the program makes, in strace's format, to standard error.",
    };

    /// <summary><c>--strace-file FILE</c>.</summary>
    public Option<string?> StraceFileOption { get; } = new("--strace-file")
    {
        Description = "Write the system calls to FILE instead (implies --strace).",
        HelpName = "FILE",
    };

    /// <summary><c>--maps</c>.</summary>
    public Option<bool> MapsOption { get; } = new("--maps")
    {
        Description = "After the program ends, print its final memory map (/proc/PID/maps) to standard error.",
    };

    /// <summary><c>--stats</c>.</summary>
    public Option<bool> StatsOption { get; } = new("--stats")
    {
        Description = "After the program ends, print a table to standard error: system calls with counts and time, faults, copy-on-write breaks, bytes copied, peak RSS.",
    };

    /// <summary><c>--root DIR</c>.</summary>
    public Option<string> RootOption { get; } = new("--root")
    {
        Description = "Confine the program to DIR, which it sees as /.",
        HelpName = "DIR",
        DefaultValueFactory = _ => "/",
    };

    /// <summary><c>--read-only</c>.</summary>
    public Option<bool> ReadOnlyOption { get; } = new("--read-only")
    {
        Description = "Refuse every change to files (EROFS).",
    };

    /// <summary><c>--env NAME=VALUE</c>, repeatable.</summary>
    public Option<string[]> EnvOption { get; } = new("--env")
    {
        Description = "Set NAME to VALUE in the program's environment (repeatable; later settings win).",
        HelpName = "NAME=VALUE",
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    /// <summary><c>--clear-env</c>.</summary>
    public Option<bool> ClearEnvOption { get; } = new("--clear-env")
    {
        Description = "Start the program's environment empty instead of as Warden's (--env settings still apply).",
    };

    /// <summary><c>--platform NAME</c>.</summary>
    public Option<string> PlatformOption { get; } = new("--platform")
    {
        Description = $"The platform that runs the program's code (choices: {RunOptions.PtracePlatform}).",
        HelpName = "NAME",
        DefaultValueFactory = _ => RunOptions.PtracePlatform,
    };

    /// <summary>PROGRAM and its ARGS.</summary>
    public Argument<string[]> ProgramArgument { get; } = new("PROGRAM")
    {
        Description = "The program (looked up on PATH unless it has a slash) and its arguments; none for the demonstration.",
        Arity = ArgumentArity.ZeroOrMore,
    };

    /// <summary>The options of a parse of this command.</summary>
    public RunOptions ReadOptions(ParseResult parseResult)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        string[] program = parseResult.GetValue(ProgramArgument) ?? [];
        string? straceFile = parseResult.GetValue(StraceFileOption);
        return new RunOptions
        {
            Program = program.Length > 0 ? program[0] : null,
            Arguments = program.Length > 1 ? program[1..] : [],
            Strace = parseResult.GetValue(StraceOption) || straceFile is not null,
            StraceFile = straceFile,
            Maps = parseResult.GetValue(MapsOption),
            Stats = parseResult.GetValue(StatsOption),
            Root = parseResult.GetValue(RootOption) ?? "/",
            ReadOnly = parseResult.GetValue(ReadOnlyOption),
            Environment = parseResult.GetValue(EnvOption) ?? [],
            ClearEnvironment = parseResult.GetValue(ClearEnvOption),
            Platform = parseResult.GetValue(PlatformOption) ?? RunOptions.PtracePlatform,
        };
    }

    /// <summary>
    /// Marks where the program starts in a <c>warden run</c> command line, by putting <c>--</c>
    /// before the first word that is neither an option nor an option's value, so that the
    /// program's own options (<c>ls -l</c>) are not taken for Warden's.
    /// </summary>
    /// <param name="args">Warden's whole command line (without its own name).</param>
    /// <returns><paramref name="args"/> itself unless it is a <c>run</c> command line with a program and no <c>--</c> before it.</returns>
    public static string[] SeparateProgram(string[] args)
    {
        (int program, _) = Scan(args);
        return program < 0 ? args : [.. args[..program], "--", .. args[program..]];
    }

    /// <summary>
    /// The first word before the program of a <c>warden run</c> command line that looks like an
    /// option but is none of Warden's (the parser would take it for the program), or <c>null</c>.
    /// </summary>
    public static string? UnknownOption(string[] args) => Scan(args).Unknown;

    // Where the program starts in a run command line that has no "--" before it (-1 if nowhere),
    // and the first unknown option before it.
    private static (int Program, string? Unknown) Scan(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Length == 0 || args[0] != "run")
        {
            return (-1, null);
        }
        string? unknown = null;
        for (int i = 1; i < args.Length; i++)
        {
            string word = args[i];
            if (word == "--")
            {
                return (-1, unknown);
            }
            if (word.Length > 1 && word[0] == '-')
            {
                int eq = word.IndexOf('=', StringComparison.Ordinal);
                string name = eq > 0 ? word[..eq] : word;
                if (Array.IndexOf(s_valuedOptions, name) >= 0)
                {
                    // "--env K=V": the next word is the value.
                    i += eq > 0 ? 0 : 1;
                }
                else if (Array.IndexOf(s_flags, word) < 0)
                {
                    unknown ??= word;
                }
                continue;
            }
            return (i, unknown);
        }
        return (-1, unknown);
    }
}
