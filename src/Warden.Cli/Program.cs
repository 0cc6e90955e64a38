using System.CommandLine;
using Warden.Cli;

// The `warden` command. `bench` is its only subcommand for now; `run` comes later.
var root = new RootCommand("Warden: user-space memory management for a user-space kernel.")
{
    BenchCommand.Create(),
    RunCommand.Create(),
};

return root.Parse(args).Invoke();
