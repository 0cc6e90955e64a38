using System.Text;
using Warden.Errors;

namespace Warden.Kernel.Loader;

/// <summary>
/// The <c>#!</c> line of an interpreter script, parsed as Linux's binfmt_script does: the
/// interpreter's path and at most one argument (the rest of the line, trimmed of spaces and tabs).
/// </summary>
/// <param name="Interpreter">The interpreter's path, as written.</param>
/// <param name="Argument">The optional argument, or <see langword="null"/>.</param>
internal readonly record struct ScriptLine(string Interpreter, string? Argument)
{
    /// <summary>How many bytes of a file Linux looks at to recognise its format (BINPRM_BUF_SIZE).</summary>
    public const int BufferSize = 256;

    /// <summary>Whether <paramref name="prefix"/> starts with <c>#!</c> (the test that picks this format).</summary>
    public static bool HasMagic(ReadOnlySpan<byte> prefix) => prefix.Length >= 2 && prefix[0] == '#' && prefix[1] == '!';

    /// <summary>
    /// Parses the line from the file's first <see cref="BufferSize"/> bytes (zero past the end of
    /// the file).
    /// </summary>
    /// <remarks>
    /// Without a newline among those bytes (the search also stops at a NUL, as Linux's strnchr
    /// does) the line is the whole buffer less its last byte, and it is accepted only if the
    /// interpreter's path ends (at a space, tab or NUL) inside it: Linux never runs a truncated
    /// interpreter path, but a truncated argument is fine (the interpreter reads the script itself).
    /// <b>Precondition:</b> <c>buffer.Length == BufferSize</c> and it starts with <c>#!</c>.
    /// </remarks>
    /// <returns>The line, or ENOEXEC when no interpreter can be found or its path may be truncated.</returns>
    public static (ScriptLine Line, Error? Error) Parse(ReadOnlySpan<byte> buffer)
    {
        if (buffer.Length != BufferSize || !HasMagic(buffer))
        {
            ThrowHelper.ThrowArgument(nameof(buffer), "A #! line is parsed from the first {0} bytes of a script.", BufferSize);
        }
        int last = BufferSize - 1;
        int end = IndexOfNewline(buffer);
        if (end < 0)
        {
            int first = NextNonSpaceTab(buffer, 2, last);
            if (first < 0)
            {
                return (default, new KernelError(Errno.ENOEXEC, "the #! line holds only spaces"));
            }
            if (NextTerminator(buffer, first, last) < 0)
            {
                return (default, new KernelError(Errno.ENOEXEC, $"the #! line's interpreter path is longer than {BufferSize} bytes"));
            }
            end = last;
        }
        // `end` is exclusive from here on: the line is buffer[2..end].
        while (IsSpaceTab(buffer[end - 1]))
        {
            end--;
        }
        int name = NextNonSpaceTab(buffer, 2, end);
        if (name < 0 || name == end)
        {
            return (default, new KernelError(Errno.ENOEXEC, "the #! line names no interpreter"));
        }
        int separator = NextTerminator(buffer, name, end);
        int argument = separator >= 0 && buffer[separator] != 0 ? NextNonSpaceTab(buffer, separator, end) : -1;
        int nameEnd = argument >= 0 ? separator : end;
        string interpreter = CString(buffer[name..nameEnd]);
        string? arg = argument >= 0 ? CString(buffer[argument..end]) : null;
        return (new ScriptLine(interpreter, arg), null);
    }

    private static bool IsSpaceTab(byte c) => c is (byte)' ' or (byte)'\t';

    // The first '\n' before any NUL, or -1.
    private static int IndexOfNewline(ReadOnlySpan<byte> buffer)
    {
        for (int i = 0; i < buffer.Length && buffer[i] != 0; i++)
        {
            if (buffer[i] == '\n')
            {
                return i;
            }
        }
        return -1;
    }

    // The first index in [first, last] (inclusive, as Linux scans) that is not a space or tab, or -1.
    private static int NextNonSpaceTab(ReadOnlySpan<byte> buffer, int first, int last)
    {
        for (int i = first; i <= last && i < buffer.Length; i++)
        {
            if (!IsSpaceTab(buffer[i]))
            {
                return i;
            }
        }
        return -1;
    }

    // The first index in [first, last] that is a space, a tab or a NUL, or -1.
    private static int NextTerminator(ReadOnlySpan<byte> buffer, int first, int last)
    {
        for (int i = first; i <= last && i < buffer.Length; i++)
        {
            if (IsSpaceTab(buffer[i]) || buffer[i] == 0)
            {
                return i;
            }
        }
        return -1;
    }

    // The bytes up to the first NUL, as UTF-8.
    private static string CString(ReadOnlySpan<byte> bytes)
    {
        int nul = bytes.IndexOf((byte)0);
        return Encoding.UTF8.GetString(nul >= 0 ? bytes[..nul] : bytes);
    }
}
