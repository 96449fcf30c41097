using Pluralistic.Evaluation;

namespace Pluralistic.Tests.Evaluation;

public class MarkdownTableTests
{
    [Fact]
    public void Renders_padded_aligned_and_escaped_markdown()
    {
        var table = new MarkdownTable()
            .AddColumn("Model")
            .AddColumn("Accuracy", ColumnAlignment.Right)
            .AddColumn("Note", ColumnAlignment.Center)
            .AddRow("PAL", "73.4%", "a|b")
            .AddRow("BT", "61.0%", null);

        var expected =
            "| Model | Accuracy | Note |\n" +
            "| ----- | -------: | :--: |\n" +
            "| PAL   |    73.4% | a\\|b |\n" +
            "| BT    |    61.0% |      |\n";
        Assert.Equal(expected, table.ToString());
        Assert.Equal(2, table.RowCount);
    }

    [Fact]
    public void Rows_must_match_the_columns()
    {
        var table = new MarkdownTable().AddColumn("a").AddColumn("b");
        Assert.Throws<ArgumentException>(() => table.AddRow("only one"));
        table.AddRow("1", "2");
        Assert.Throws<InvalidOperationException>(() => table.AddColumn("c"));
    }

    [Fact]
    public void Metrics_table_formats_invariantly_and_adds_oracle_columns_when_known()
    {
        var data = OpposingUsers.Generate(users: 3, pairsPerUser: 2, seed: 1);
        var metrics = PreferenceMetrics.Compute(data, [0.9, 0.8, 0.3, 0.7, 0.6, 0.55]);
        var plain = MetricsTable.Create([("PAL", metrics)]).ToString();
        Assert.Contains("| PAL   |     6 |    83.3% |", plain, StringComparison.Ordinal);
        Assert.DoesNotContain("Gap closed", plain, StringComparison.Ordinal);

        var compared = MetricsTable.Create([("PAL", metrics.WithReference(0.9, 0.6)), ("BT", metrics)]).ToString();
        Assert.Contains("Gap closed", compared, StringComparison.Ordinal);
        Assert.Contains("|     92.6% |       0.78 |", compared, StringComparison.Ordinal);
        Assert.Contains("|         — |          — |", compared, StringComparison.Ordinal);
    }
}
