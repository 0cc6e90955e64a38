using System.Text;

namespace Warden.Cli;

/// <summary>
/// Passes text on to another writer until <see cref="Silence"/> is called, then drops it: for the
/// kernel's diagnostics once Warden has given up on a program, whose tasks then only report that
/// their platform went away.
/// </summary>
internal sealed class SilenceableWriter(TextWriter inner) : TextWriter
{
    private volatile bool _silenced;

    /// <inheritdoc/>
    public override Encoding Encoding => inner.Encoding;

    /// <summary>Drops everything written from now on.</summary>
    public void Silence() => _silenced = true;

    /// <inheritdoc/>
    public override void Write(char value)
    {
        if (!_silenced)
        {
            inner.Write(value);
        }
    }

    /// <inheritdoc/>
    public override void Write(string? value)
    {
        if (!_silenced)
        {
            inner.Write(value);
        }
    }

    /// <inheritdoc/>
    public override void WriteLine(string? value)
    {
        if (!_silenced)
        {
            inner.WriteLine(value);
        }
    }

    /// <inheritdoc/>
    public override void Flush()
    {
        if (!_silenced)
        {
            inner.Flush();
        }
    }
}
