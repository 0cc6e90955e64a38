namespace Warden.Cli;

/// <summary>Lays out rows of text as a table with aligned columns, for terminal output.</summary>
/// <remarks>Every row has one cell per column. Columns are separated by two spaces; a rule of dashes follows the header.</remarks>
internal sealed class TableWriter
{
    private const string Gutter = "  ";

    private readonly IReadOnlyList<TableColumn> _columns;
    private readonly List<string[]?> _rows = [];

    /// <summary>Creates an empty table with <paramref name="columns"/>.</summary>
    public TableWriter(params IReadOnlyList<TableColumn> columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentOutOfRangeException.ThrowIfZero(columns.Count);
        _columns = columns;
    }

    /// <summary>Adds a row.</summary>
    /// <exception cref="ArgumentException">The row does not have one cell per column.</exception>
    public void AddRow(params string[] cells)
    {
        ArgumentNullException.ThrowIfNull(cells);
        if (cells.Length != _columns.Count)
        {
            throw new ArgumentException($"A row needs {_columns.Count} cells; got {cells.Length}.", nameof(cells));
        }
        _rows.Add(cells);
    }

    /// <summary>Adds an empty line between rows, to group them.</summary>
    public void AddBreak() => _rows.Add(null);

    /// <summary>Writes the header, its rule and the rows to <paramref name="output"/>.</summary>
    public void WriteTo(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        int[] widths = new int[_columns.Count];
        for (int c = 0; c < widths.Length; c++)
        {
            widths[c] = _columns[c].Header.Length;
            foreach (string[]? row in _rows)
            {
                if (row is not null)
                {
                    widths[c] = Math.Max(widths[c], row[c].Length);
                }
            }
        }

        WriteLine(output, widths, c => _columns[c].Header);
        WriteLine(output, widths, c => new string('-', widths[c]));
        foreach (string[]? row in _rows)
        {
            if (row is null)
            {
                output.WriteLine();
            }
            else
            {
                WriteLine(output, widths, c => row[c]);
            }
        }
    }

    private void WriteLine(TextWriter output, int[] widths, Func<int, string> cell)
    {
        var line = new System.Text.StringBuilder();
        for (int c = 0; c < widths.Length; c++)
        {
            if (c > 0)
            {
                line.Append(Gutter);
            }
            string text = cell(c);
            line.Append(_columns[c].AlignRight ? text.PadLeft(widths[c]) : text.PadRight(widths[c]));
        }
        output.WriteLine(line.ToString().TrimEnd());
    }
}
