using System.Globalization;

namespace Warden.Mm;

/// <summary>The host's memory as Linux's overcommit heuristic sees it (<c>/proc/meminfo</c>).</summary>
internal static class HostMemory
{
    /// <summary>MemTotal plus SwapTotal in bytes; <see cref="ulong.MaxValue"/> when they cannot be read.</summary>
    public static ulong RamPlusSwap { get; } = Read();

    private static ulong Read()
    {
        try
        {
            ulong total = 0;
            int found = 0;
            foreach (string line in File.ReadLines("/proc/meminfo"))
            {
                if (line.StartsWith("MemTotal:", StringComparison.Ordinal) || line.StartsWith("SwapTotal:", StringComparison.Ordinal))
                {
                    string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    total += ulong.Parse(fields[1], CultureInfo.InvariantCulture) * 1024;
                    found++;
                }
            }
            return found == 2 ? total : ulong.MaxValue;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or OverflowException or IndexOutOfRangeException)
        {
            return ulong.MaxValue;
        }
    }
}
