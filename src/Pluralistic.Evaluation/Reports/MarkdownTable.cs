using System.Text;

namespace Pluralistic.Evaluation;

/// <summary>
/// A GitHub-flavoured markdown table, padded so that the source reads as a table too. Cells are escaped (<c>|</c>,
/// line breaks); output uses <c>\n</c> line ends on every platform so that generated documents are reproducible.
/// </summary>
public sealed class MarkdownTable
{
    private readonly List<(string Header, ColumnAlignment Alignment)> _columns = [];
    private readonly List<string[]> _rows = [];

    /// <summary>The number of columns.</summary>
    public int ColumnCount => _columns.Count;

    /// <summary>The number of rows (the header not included).</summary>
    public int RowCount => _rows.Count;

    /// <summary>Adds a column; all columns must be added before the first row.</summary>
    /// <param name="header">The header text.</param>
    /// <param name="alignment">How the column aligns its cells.</param>
    /// <returns>The table.</returns>
    /// <exception cref="InvalidOperationException">Rows were already added.</exception>
    public MarkdownTable AddColumn(string header, ColumnAlignment alignment = ColumnAlignment.Left)
    {
        ArgumentNullException.ThrowIfNull(header);
        if (_rows.Count > 0)
        {
            throw new InvalidOperationException("columns must be added before the first row");
        }

        _columns.Add((Escape(header), alignment));
        return this;
    }

    /// <summary>Adds a row with one cell per column (<see langword="null"/> for an empty cell).</summary>
    /// <param name="cells">The cells.</param>
    /// <returns>The table.</returns>
    /// <exception cref="ArgumentException">The number of cells is not the number of columns.</exception>
    public MarkdownTable AddRow(params IEnumerable<string?> cells)
    {
        ArgumentNullException.ThrowIfNull(cells);
        var row = cells.Select(c => Escape(c ?? string.Empty)).ToArray();
        if (row.Length != _columns.Count)
        {
            throw new ArgumentException($"the table has {_columns.Count} columns, the row {row.Length} cells", nameof(cells));
        }

        _rows.Add(row);
        return this;
    }

    /// <summary>Writes the table, each line ending with <c>\n</c>.</summary>
    /// <param name="writer">Where to write.</param>
    public void WriteTo(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(ToString());
    }

    /// <summary>The table as markdown, each line ending with <c>\n</c>.</summary>
    /// <returns>The markdown.</returns>
    /// <exception cref="InvalidOperationException">The table has no column.</exception>
    public override string ToString()
    {
        if (_columns.Count == 0)
        {
            throw new InvalidOperationException("the table has no column");
        }

        // At least 3 wide: a separator cell needs three dashes (or colons) to be valid markdown.
        var widths = _columns.Select((c, j) => _rows.Select(r => r[j].Length).Append(c.Header.Length).Append(3).Max()).ToArray();
        var text = new StringBuilder();
        AppendLine(text, _columns.Select(c => c.Header).ToArray(), widths);
        AppendLine(text, _columns.Select((c, j) => Separator(c.Alignment, widths[j])).ToArray(), widths);
        foreach (var row in _rows)
        {
            AppendLine(text, row, widths);
        }

        return text.ToString();
    }

    private void AppendLine(StringBuilder text, string[] cells, int[] widths)
    {
        text.Append('|');
        for (var j = 0; j < cells.Length; j++)
        {
            var cell = _columns[j].Alignment == ColumnAlignment.Right ? cells[j].PadLeft(widths[j]) : cells[j].PadRight(widths[j]);
            text.Append(' ').Append(cell).Append(" |");
        }

        text.Append('\n');
    }

    private static string Separator(ColumnAlignment alignment, int width) => alignment switch
    {
        ColumnAlignment.Right => new string('-', width - 1) + ":",
        ColumnAlignment.Center => ":" + new string('-', width - 2) + ":",
        _ => new string('-', width),
    };

    private static string Escape(string text) =>
        text.Replace("\\", "\\\\", StringComparison.Ordinal)
            .Replace("|", "\\|", StringComparison.Ordinal)
            .Replace("\r\n", "<br>", StringComparison.Ordinal)
            .Replace("\n", "<br>", StringComparison.Ordinal)
            .Replace("\r", "<br>", StringComparison.Ordinal);
}
