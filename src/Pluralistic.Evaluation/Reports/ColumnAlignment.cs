namespace Pluralistic.Evaluation;

/// <summary>How a markdown table column aligns its cells.</summary>
public enum ColumnAlignment
{
    /// <summary>Left-aligned (text).</summary>
    Left,

    /// <summary>Right-aligned (numbers).</summary>
    Right,

    /// <summary>Centered.</summary>
    Center,
}
