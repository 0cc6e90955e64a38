namespace Warden.Kernel.Syscalls;

/// <summary>The x86-64 numbers the kernel refers to by name outside the table.</summary>
internal static class SyscallNumbers
{
    public const int Gettimeofday = 96;
    public const int Time = 201;
    public const int Getcpu = 309;
    public const int Exit = 60;
    public const int ExitGroup = 231;
    public const int RestartSyscall = 219;
}
