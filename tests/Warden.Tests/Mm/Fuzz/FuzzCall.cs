using System.Globalization;

namespace Warden.Tests.Mm.Fuzz;

/// <summary>The x86-64 numbers of the memory system calls the kernel fuzzer makes.</summary>
public enum Sysno
{
    Mmap = 9,
    Mprotect = 10,
    Munmap = 11,
    Brk = 12,
    Mremap = 25,
    Msync = 26,
    Mincore = 27,
    Madvise = 28,
    Mlock = 149,
    Munlock = 150,
    Mlockall = 151,
    Munlockall = 152,
    Mlock2 = 325,
}

/// <summary>One raw system call: its number and six register arguments, exactly as a program passes them.</summary>
public readonly record struct FuzzCall(Sysno Number, ulong A0 = 0, ulong A1 = 0, ulong A2 = 0, ulong A3 = 0, ulong A4 = 0, ulong A5 = 0)
{
    /// <summary>Argument <paramref name="i"/> (0 to 5).</summary>
    public ulong this[int i] => i switch
    {
        0 => A0,
        1 => A1,
        2 => A2,
        3 => A3,
        4 => A4,
        5 => A5,
        _ => throw new ArgumentOutOfRangeException(nameof(i)),
    };

    /// <summary>How many arguments the call takes.</summary>
    public int Arity => Number switch
    {
        Sysno.Mmap => 6,
        Sysno.Mremap => 5,
        Sysno.Mprotect or Sysno.Msync or Sysno.Mincore or Sysno.Madvise or Sysno.Mlock2 => 3,
        Sysno.Munmap or Sysno.Mlock or Sysno.Munlock => 2,
        Sysno.Brk or Sysno.Mlockall => 1,
        _ => 0,
    };

    /// <summary>The call as C would write it, the arguments in hex: <c>mmap(0x0, 0x1000, ...)</c>.</summary>
    public override string ToString()
    {
        var args = new string[Arity];
        for (int i = 0; i < args.Length; i++)
        {
            args[i] = "0x" + this[i].ToString("x", CultureInfo.InvariantCulture);
        }
        return Number.ToString().ToLowerInvariant() + "(" + string.Join(", ", args) + ")";
    }

    /// <summary>A raw return value as the kernel gives it: an address or count, or <c>-EINVAL</c>-style.</summary>
    public static string Describe(long result) =>
        result is < 0 and >= -4095 ? "-" + ErrnoName((int)-result) : "0x" + result.ToString("x", CultureInfo.InvariantCulture);

    private static string ErrnoName(int errno) => errno switch
    {
        1 => "EPERM",
        9 => "EBADF",
        11 => "EAGAIN",
        12 => "ENOMEM",
        13 => "EACCES",
        14 => "EFAULT",
        16 => "EBUSY",
        17 => "EEXIST",
        19 => "ENODEV",
        22 => "EINVAL",
        38 => "ENOSYS",
        95 => "EOPNOTSUPP",
        _ => "errno " + errno.ToString(CultureInfo.InvariantCulture),
    };
}
