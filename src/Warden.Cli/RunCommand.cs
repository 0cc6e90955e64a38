using System.CommandLine;
using Warden.Errors;
using Warden.Kernel;
using Warden.Kernel.Tasks;
using Warden.PgAlloc;
using Warden.Platforms.Ptrace;

namespace Warden.Cli;

/// <summary><c>warden run [options] [--] PROGRAM [ARGS...]</c>: runs a Linux program on Warden's kernel.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var program = new Argument<string[]>("program") { Description = "The program and its arguments.", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("run", "Run an unmodified x86-64 Linux program with every byte of its memory managed by Warden.") { program };
        command.SetAction(parseResult =>
        {
            string[] args = parseResult.GetValue(program) ?? [];
            return Run(args);
        });
        return command;
    }

    private static int Run(string[] args)
    {
        (MemoryFile? memory, Error? error) = MemoryFile.Create(1UL << 36);
        if (error is not null)
        {
            Console.Error.WriteLine($"warden: cannot create the memory file: {error.Message}");
            return 125;
        }
        try
        {
            (PtracePlatform? platform, error) = PtracePlatform.Create(memory!);
            if (error is not null)
            {
                Console.Error.WriteLine($"warden: {error.Message}");
                return 125;
            }
            using (platform)
            {
                (Kernel.Kernel? kernel, error) = Kernel.Kernel.Create(platform!, new KernelOptions());
                if (error is not null)
                {
                    Console.Error.WriteLine($"warden: {error.Message}");
                    return 125;
                }
                using (kernel)
                {
                    string[] env = [.. Environment.GetEnvironmentVariables().Keys.Cast<string>().Select(k => $"{k}={Environment.GetEnvironmentVariable(k)}")];
                    (ExitStatus status, error) = kernel!.Run(args[0], args, env);
                    if (error is not null)
                    {
                        Console.Error.WriteLine($"warden: {args[0]}: {error.Message}");
                        return 127;
                    }
                    return status.ShellStatus;
                }
            }
        }
        finally
        {
            memory!.Destroy();
        }
    }
}
