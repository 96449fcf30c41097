using Pluralistic.Data;
using Pluralistic.Tests.Support;

namespace Pluralistic.Tests.Data;

public class PreferenceJsonlTests
{
    private const string Good1 = """{"user_id":"u1","chosen_embedding":[1,0,0],"rejected_embedding":[0,1,0],"group":"A"}""";
    private const string Good2 = """{"user_id":"u2","chosen_embedding":[0,0,1],"rejected_embedding":[1,1,0],"weight":2}""";

    [Fact]
    public async Task Round_trips_every_field_and_preserves_unknown_keys()
    {
        using var dir = new TempDirectory();
        var path = dir.File("data.jsonl");
        await File.WriteAllTextAsync(path, """
            {"user_id":"alice","prompt":"hi","chosen":"a","rejected":"b","prompt_embedding":[0.5,0.25],"chosen_embedding":[1,2,3],"rejected_embedding":[3,2,1],"chosen_attributes":{"helpfulness":4.5},"rejected_attributes":{"helpfulness":2,"verbosity":1},"direction":{"helpfulness":1},"group":"g1","weight":0.5,"source":"survey-7"}

            {"user_id":"bob","chosen_embedding":[0,0,1],"rejected_embedding":[1,0,0],"prompt_embedding":[1,1]}
            """);

        var data = await PreferenceJsonl.LoadDatasetAsync(path);
        Assert.Equal(2, data.Count);
        Assert.Equal(3, data.ResponseDimension);
        Assert.Equal(2, data.PromptDimension);
        Assert.Equal(["alice", "bob"], data.Users.Select(u => u.Value));
        Assert.Equal([1f, 2f, 3f], data.ChosenVector(0).ToArray());
        Assert.Equal(0.5f, data.WeightAt(0));
        Assert.Equal("g1", data.GroupAt(0));
        Assert.Null(data.GroupAt(1));
        Assert.Equal(["helpfulness", "verbosity"], data.ObjectiveNames);
        Assert.Equal(4.5f, data.ChosenAttributes.Span[0]);
        Assert.True(float.IsNaN(data.ChosenAttributes.Span[1]), "a missing rating is NaN");
        Assert.Equal(1.0, data.DirectionAt(0)!["helpfulness"]);
        Assert.Equal(0, data.LineAt(0));
        Assert.Equal(2, data.LineAt(1)); // the blank line still counts as a line of the file
        Assert.Equal("a", data.ChosenTextAt(0));

        var records = new List<PreferenceRecord>();
        await foreach (var (_, record) in PreferenceJsonl.ReadRecordsAsync(path))
        {
            records.Add(record);
        }

        var copy = dir.File("copy.jsonl");
        await PreferenceJsonl.WriteAsync(copy, records);
        Assert.Contains("\"source\":\"survey-7\"", await File.ReadAllTextAsync(copy), StringComparison.Ordinal);
        var reread = await PreferenceJsonl.LoadDatasetAsync(copy);
        Assert.Equal(data.ComputeFingerprint(), reread.ComputeFingerprint());
    }

    public static TheoryData<string, PreferenceDataError, string> BadLines => new()
    {
        { """{"user_id":"u3","chosen_embedding":[1,0,0],"rejected_embedd""", PreferenceDataError.InvalidJson, "invalid JSON" },
        { """[1,2,3]""", PreferenceDataError.InvalidJson, "JSON object" },
        { """{"user_id":"u3","chosen_embedding":[1,0,0]}""", PreferenceDataError.MissingPair, "rejected_embedding is missing" },
        { """{"user_id":"u3","rejected":"only this"}""", PreferenceDataError.MissingPair, "chosen is missing" },
        { """{"user_id":"u3"}""", PreferenceDataError.MissingPair, "no pair" },
        { """{"user_id":"u3","chosen_embedding":[NaN,0,0],"rejected_embedding":[0,1,0]}""", PreferenceDataError.NonFiniteValue, "NaN" },
        { """{"user_id":"u3","chosen_embedding":[1,0,0],"rejected_embedding":[Infinity,1,0]}""", PreferenceDataError.NonFiniteValue, "Infinity" },
        { """{"user_id":"u3","chosen_embedding":[1e999,0,0],"rejected_embedding":[0,1,0]}""", PreferenceDataError.NonFiniteValue, "not allowed" },
        { """{"user_id":"u3","chosen_embedding":[1,0],"rejected_embedding":[0,1]}""", PreferenceDataError.DimensionMismatch, "dimension 2, expected 3" },
        { """{"user_id":"u3","chosen_embedding":[1,0,0],"rejected_embedding":[0,1,0,5]}""", PreferenceDataError.DimensionMismatch, "dimension 4, expected 3" },
        { """{"user_id":"","chosen_embedding":[1,0,0],"rejected_embedding":[0,1,0]}""", PreferenceDataError.InvalidUserId, "user_id is empty" },
        { """{"chosen_embedding":[1,0,0],"rejected_embedding":[0,1,0]}""", PreferenceDataError.InvalidUserId, "user_id is missing" },
        { """{"user_id":42,"chosen_embedding":[1,0,0],"rejected_embedding":[0,1,0]}""", PreferenceDataError.InvalidValue, "user_id" },
        { """{"user_id":"u3","chosen_embedding":[1,0,0],"rejected_embedding":[0,1,0],"weight":-1}""", PreferenceDataError.InvalidValue, "weight" },
        { """{"user_id":"u3","chosen_embedding":[1,0,0],"rejected_embedding":[0,1,0],"prompt_embedding":[1]}""", PreferenceDataError.InconsistentPrompts, "prompt_embedding" },
        { """{"user_id":"u3","chosen":"text only","rejected":"no vectors"}""", PreferenceDataError.TextWithoutEmbeddings, "no embedding generator" },
        { """{"user_id":"u3","chosen_embedding":[1,0,0],"rejected_embedding":[0,1,0],"direction":{"a":0}}""", PreferenceDataError.InvalidValue, "direction" },
    };

    [Theory]
    [MemberData(nameof(BadLines))]
    public async Task A_bad_record_fails_with_its_file_line_and_problem(string badLine, PreferenceDataError error, string problem)
    {
        using var dir = new TempDirectory();
        var path = dir.File("bad.jsonl");
        await File.WriteAllLinesAsync(path, [Good1, Good2, badLine, Good1]);

        var ex = await Assert.ThrowsAsync<InvalidPreferenceDataException>(() => PreferenceJsonl.LoadDatasetAsync(path));

        Assert.Equal(error, ex.Error);
        Assert.Equal(3, ex.LineNumber);
        Assert.StartsWith("bad.jsonl, line 3: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains(problem, ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n\n  \n")]
    public async Task An_empty_file_is_an_error(string content)
    {
        using var dir = new TempDirectory();
        var path = dir.File("empty.jsonl");
        await File.WriteAllTextAsync(path, content);

        var ex = await Assert.ThrowsAsync<InvalidPreferenceDataException>(() => PreferenceJsonl.LoadDatasetAsync(path));
        Assert.Equal(PreferenceDataError.Empty, ex.Error);
        Assert.Contains("no records", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_file_is_a_typed_error()
    {
        var ex = await Assert.ThrowsAsync<InvalidPreferenceDataException>(() => PreferenceJsonl.LoadDatasetAsync("/nonexistent/dir/none.jsonl"));
        Assert.Equal(PreferenceDataError.Unreadable, ex.Error);
    }

    [Fact]
    public async Task Skipping_invalid_records_keeps_the_valid_ones_and_reports_the_rest()
    {
        using var dir = new TempDirectory();
        var path = dir.File("mixed.jsonl");
        await File.WriteAllLinesAsync(path, [Good1, "{not json", Good2, """{"user_id":"u","chosen_embedding":[1],"rejected_embedding":[2]}"""]);

        var result = await PreferenceJsonl.LoadAsync(path, new PreferenceLoadOptions { SkipInvalidRecords = true });

        Assert.Equal(2, result.Dataset.Count);
        Assert.Equal([0L, 2L], [result.Dataset.LineAt(0), result.Dataset.LineAt(1)]);
        Assert.Equal([2L, 4L], result.Skipped.Select(s => s.LineNumber!.Value));
    }

    [Fact]
    public async Task Records_without_prompt_vectors_after_records_with_them_are_an_error()
    {
        using var dir = new TempDirectory();
        var path = dir.File("prompts.jsonl");
        await File.WriteAllLinesAsync(path, [
            """{"user_id":"a","prompt_embedding":[1,2],"chosen_embedding":[1,0,0],"rejected_embedding":[0,1,0]}""",
            Good2,
        ]);

        var ex = await Assert.ThrowsAsync<InvalidPreferenceDataException>(() => PreferenceJsonl.LoadDatasetAsync(path));
        Assert.Equal(PreferenceDataError.InconsistentPrompts, ex.Error);
        Assert.Equal(2, ex.LineNumber);
    }
}
