using Warden.Cli;

// The `warden` command: `run` (a program, or the demonstration) and `bench`.
return WardenCommandLine.Invoke(args);
