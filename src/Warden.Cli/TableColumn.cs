namespace Warden.Cli;

/// <summary>A column of a <see cref="TableWriter"/>.</summary>
/// <param name="Header">The column's heading.</param>
/// <param name="AlignRight">Whether cells are right-aligned (numbers) rather than left-aligned (names).</param>
internal readonly record struct TableColumn(string Header, bool AlignRight = false);
