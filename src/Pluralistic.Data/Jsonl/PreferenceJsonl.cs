using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;

namespace Pluralistic.Data;

/// <summary>
/// Reads and writes the preference JSONL format (one JSON object per line, UTF-8, snake_case keys).
/// Every error names the file, the 1-based line and the problem; a load either returns every record or fails
/// (unless <see cref="PreferenceLoadOptions.SkipInvalidRecords"/> is set, which reports what it skipped).
/// </summary>
public static partial class PreferenceJsonl
{
    /// <summary>
    /// The longest vector a record may carry (65,536 values, well above any embedding model's); a longer one is an
    /// <see cref="InvalidPreferenceDataException"/> naming the file and line, before the dataset takes memory for it.
    /// </summary>
    public const int MaxVectorDimension = 65_536;

    private const int EmbeddingBatchSize = 256;

    /// <summary>Streams the records of a file with their 0-based line indices; blank lines are skipped.</summary>
    /// <param name="path">The JSONL file.</param>
    /// <param name="cancellationToken">Cancels reading.</param>
    /// <returns>The records.</returns>
    /// <exception cref="InvalidPreferenceDataException">A line is not a valid record object.</exception>
    public static async IAsyncEnumerable<(long Line, PreferenceRecord Record)> ReadRecordsAsync(
        string path, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var (line, record, error) in ReadLinesAsync(path, cancellationToken).ConfigureAwait(false))
        {
            if (error is not null)
            {
                throw error;
            }

            yield return (line, record!);
        }
    }

    /// <summary>Loads a file into a validated columnar dataset.</summary>
    /// <param name="path">The JSONL file.</param>
    /// <param name="options">Embedding generator for text records, skipping of bad lines.</param>
    /// <param name="cancellationToken">Cancels loading.</param>
    /// <returns>The dataset and what was skipped.</returns>
    /// <exception cref="InvalidPreferenceDataException">A record is invalid (and skipping is off) or the file holds no valid record.</exception>
    public static async Task<PreferenceLoadResult> LoadAsync(string path, PreferenceLoadOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new PreferenceLoadOptions();
        var loader = new Loader(path, options);
        await foreach (var (line, record, error) in ReadLinesAsync(path, cancellationToken).ConfigureAwait(false))
        {
            if (error is not null)
            {
                loader.Reject(error);
                continue;
            }

            await loader.AddAsync(line, record!, cancellationToken).ConfigureAwait(false);
        }

        await loader.FlushAsync(cancellationToken).ConfigureAwait(false);
        return loader.Finish();
    }

    /// <summary>Loads a file, failing on the first bad record.</summary>
    /// <param name="path">The JSONL file.</param>
    /// <param name="embeddingGenerator">Embeds records that carry text but no vectors; <see langword="null"/> when none.</param>
    /// <param name="cancellationToken">Cancels loading.</param>
    /// <returns>The dataset.</returns>
    public static async Task<PreferenceDataset> LoadDatasetAsync(
        string path, IEmbeddingGenerator<string, Embedding<float>>? embeddingGenerator = null, CancellationToken cancellationToken = default) =>
        (await LoadAsync(path, new PreferenceLoadOptions { EmbeddingGenerator = embeddingGenerator }, cancellationToken).ConfigureAwait(false)).Dataset;

    /// <summary>Writes records as JSONL (one compact object per line, unknown keys preserved).</summary>
    /// <param name="path">The file to create or overwrite.</param>
    /// <param name="records">The records.</param>
    /// <param name="cancellationToken">Cancels writing.</param>
    /// <returns>A task.</returns>
    public static async Task WriteAsync(string path, IEnumerable<PreferenceRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        await using var writer = PreferenceJsonlWriter.Create(path);
        foreach (var record in records)
        {
            await writer.WriteAsync(record, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Writes prediction records as JSONL.</summary>
    /// <param name="stream">The destination (left open).</param>
    /// <param name="predictions">The predictions.</param>
    /// <param name="cancellationToken">Cancels writing.</param>
    /// <returns>A task.</returns>
    public static Task WritePredictionsAsync(Stream stream, IEnumerable<PredictionRecord> predictions, CancellationToken cancellationToken = default) =>
        WriteAsync(stream, predictions, PreferenceJsonContext.Default.PredictionRecord, cancellationToken);

    private static async Task WriteAsync<T>(Stream stream, IEnumerable<T> items, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken)
    {
        await using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = false, SkipValidation = true });
        var newline = "\n"u8.ToArray();
        var count = 0;
        foreach (var item in items)
        {
            JsonSerializer.Serialize(writer, item, typeInfo);
            await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
            writer.Reset();
            await stream.WriteAsync(newline, cancellationToken).ConfigureAwait(false);
            if (++count % 4096 == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }
        }
    }

    private static async IAsyncEnumerable<(long Line, PreferenceRecord? Record, InvalidPreferenceDataException? Error)> ReadLinesAsync(
        string path, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        StreamReader reader;
        try
        {
            reader = new StreamReader(path, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true), detectEncodingFromByteOrderMarks: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InvalidPreferenceDataException(PreferenceDataError.Unreadable, $"cannot read the file: {ex.Message}", path, innerException: ex);
        }

        using (reader)
        {
            long line = -1;
            while (true)
            {
                string? text;
                try
                {
                    text = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (DecoderFallbackException ex)
                {
                    throw new InvalidPreferenceDataException(PreferenceDataError.InvalidJson, "the file is not valid UTF-8", path, line + 2, ex);
                }

                if (text is null)
                {
                    yield break;
                }

                line++;
                if (string.IsNullOrWhiteSpace(text))
                {
                    continue;
                }

                yield return Parse(text, path, line);
            }
        }
    }

    private static (long, PreferenceRecord?, InvalidPreferenceDataException?) Parse(string text, string path, long line)
    {
        try
        {
            var trimmed = text.AsSpan().TrimStart();
            if (trimmed.Length == 0 || trimmed[0] != '{')
            {
                return (line, null, new(PreferenceDataError.InvalidJson, "expected a JSON object", path, line + 1));
            }

            var record = JsonSerializer.Deserialize(text, PreferenceJsonContext.Default.PreferenceRecord);
            if (record is null)
            {
                return (line, null, new(PreferenceDataError.InvalidJson, "expected a JSON object, found null", path, line + 1));
            }

            foreach (var (field, vector) in new[] { ("chosen_embedding", record.ChosenEmbedding), ("rejected_embedding", record.RejectedEmbedding), ("prompt_embedding", record.PromptEmbedding) })
            {
                if (vector is { Length: > MaxVectorDimension })
                {
                    // Refused on the first such line: a dataset of them would take gigabytes before failing anywhere else.
                    return (line, null, new(
                        PreferenceDataError.InvalidValue,
                        string.Create(CultureInfo.InvariantCulture, $"{field} has {vector.Length:N0} values; vectors longer than {MaxVectorDimension:N0} are refused (PreferenceJsonl.MaxVectorDimension)"),
                        path,
                        line + 1));
                }
            }

            return (line, record, null);
        }
        catch (JsonException ex)
        {
            // JSON has no NaN or Infinity literals; name them rather than report a generic syntax error.
            var problem = NonFiniteLiteral().IsMatch(text)
                ? (PreferenceDataError.NonFiniteValue, "NaN and Infinity are not allowed (they are not valid JSON numbers)")
                : ex.Path is { Length: > 1 } jsonPath && ex.Message.Contains("could not be converted", StringComparison.Ordinal)
                    ? (PreferenceDataError.InvalidValue, $"'{jsonPath.TrimStart('$', '.')}' has the wrong type")
                    : (PreferenceDataError.InvalidJson, $"invalid JSON ({FirstSentence(ex.Message)})");
            return (line, null, new(problem.Item1, problem.Item2, path, line + 1, ex));
        }
    }

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(". ", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message.TrimEnd('.');
    }

    [GeneratedRegex(@"(?<![A-Za-z""])-?(NaN|Infinity)(?![A-Za-z""])")]
    private static partial Regex NonFiniteLiteral();

    /// <summary>Turns records into a dataset, embedding text where needed, in file order.</summary>
    private sealed class Loader(string path, PreferenceLoadOptions options)
    {
        private readonly List<(long Line, PreferenceRecord Record)> _pending = [];
        private readonly List<InvalidPreferenceDataException> _skipped = [];
        private PreferenceDatasetBuilder? _builder;
        private int _pendingText;

        public void Reject(InvalidPreferenceDataException error)
        {
            if (!options.SkipInvalidRecords)
            {
                throw error;
            }

            _skipped.Add(error);
        }

        public async ValueTask AddAsync(long line, PreferenceRecord record, CancellationToken cancellationToken)
        {
            var problem = CheckShape(record);
            if (problem is not null)
            {
                Reject(new InvalidPreferenceDataException(problem.Value.Error, problem.Value.Message, path, line + 1));
                return;
            }

            var needsEmbedding = record.ChosenEmbedding is null || NeedsPromptEmbedding(record);
            if (needsEmbedding && options.EmbeddingGenerator is null && record.ChosenEmbedding is null)
            {
                Reject(new InvalidPreferenceDataException(
                    PreferenceDataError.TextWithoutEmbeddings,
                    "the record has text but no embeddings, and no embedding generator is configured",
                    path,
                    line + 1));
                return;
            }

            // Records wait in order behind any record that needs embedding, so file order is kept.
            if ((needsEmbedding && options.EmbeddingGenerator is not null) || _pending.Count > 0)
            {
                _pending.Add((line, record));
                _pendingText += needsEmbedding ? 1 : 0;
                if (_pendingText >= EmbeddingBatchSize)
                {
                    await FlushAsync(cancellationToken).ConfigureAwait(false);
                }

                return;
            }

            Append(line, record);
        }

        public async ValueTask FlushAsync(CancellationToken cancellationToken)
        {
            if (_pending.Count == 0)
            {
                return;
            }

            if (options.EmbeddingGenerator is { } generator)
            {
                var texts = new List<string>();
                foreach (var (_, record) in _pending)
                {
                    if (record.ChosenEmbedding is null)
                    {
                        texts.Add(record.Chosen!);
                        texts.Add(record.Rejected!);
                    }

                    if (NeedsPromptEmbedding(record))
                    {
                        texts.Add(record.Prompt!);
                    }
                }

                var embeddings = await generator.GenerateAsync(texts, cancellationToken: cancellationToken).ConfigureAwait(false);
                var next = 0;
                foreach (var (_, record) in _pending)
                {
                    if (record.ChosenEmbedding is null)
                    {
                        record.ChosenEmbedding = embeddings[next++].Vector.ToArray();
                        record.RejectedEmbedding = embeddings[next++].Vector.ToArray();
                    }

                    if (NeedsPromptEmbedding(record))
                    {
                        record.PromptEmbedding = embeddings[next++].Vector.ToArray();
                    }
                }
            }

            foreach (var (line, record) in _pending)
            {
                Append(line, record);
            }

            _pending.Clear();
            _pendingText = 0;
        }

        public PreferenceLoadResult Finish()
        {
            if (_builder is null)
            {
                var problem = _skipped.Count > 0 ? $"the file holds no valid records ({_skipped.Count} invalid lines skipped)" : "the file holds no records";
                throw new InvalidPreferenceDataException(PreferenceDataError.Empty, problem, path);
            }

            return new PreferenceLoadResult(_builder.Build(), _skipped);
        }

        private bool NeedsPromptEmbedding(PreferenceRecord record) =>
            record.PromptEmbedding is null && record.Prompt is not null && options.EmbeddingGenerator is not null && options.EmbedPrompts;

        private void Append(long line, PreferenceRecord record)
        {
            _builder ??= new PreferenceDatasetBuilder(record.ChosenEmbedding!.Length, record.PromptEmbedding?.Length ?? 0, 1024) { SourcePath = path };
            try
            {
                _builder.Add(
                    new UserId(record.UserId!),
                    record.ChosenEmbedding,
                    record.RejectedEmbedding,
                    record.PromptEmbedding,
                    new PreferenceRecordExtras
                    {
                        Line = line,
                        Weight = record.Weight is { } w ? (float)w : null,
                        Group = record.Group,
                        ChosenAttributes = record.ChosenAttributes,
                        RejectedAttributes = record.RejectedAttributes,
                        Direction = record.Direction,
                        PromptText = record.Prompt,
                        ChosenText = record.Chosen,
                        RejectedText = record.Rejected,
                    });
            }
            catch (InvalidPreferenceDataException error)
            {
                Reject(error);
            }
        }

        private static (PreferenceDataError Error, string Message)? CheckShape(PreferenceRecord record)
        {
            if (UserId.Validate(record.UserId) is { } userProblem)
            {
                return (PreferenceDataError.InvalidUserId, record.UserId is null ? "user_id is missing" : userProblem);
            }

            var hasVectors = (record.ChosenEmbedding is not null, record.RejectedEmbedding is not null);
            var hasText = (record.Chosen is not null, record.Rejected is not null);
            return (hasVectors, hasText) switch
            {
                ((true, false), _) => (PreferenceDataError.MissingPair, "chosen_embedding is present but rejected_embedding is missing"),
                ((false, true), _) => (PreferenceDataError.MissingPair, "rejected_embedding is present but chosen_embedding is missing"),
                ((false, false), (true, false)) => (PreferenceDataError.MissingPair, "chosen is present but rejected is missing"),
                ((false, false), (false, true)) => (PreferenceDataError.MissingPair, "rejected is present but chosen is missing"),
                ((false, false), (false, false)) => (PreferenceDataError.MissingPair, "the record has no pair: give chosen/rejected or chosen_embedding/rejected_embedding"),
                _ => null,
            };
        }
    }
}

/// <summary>How <see cref="PreferenceJsonl.LoadAsync"/> treats text and bad lines.</summary>
public sealed record PreferenceLoadOptions
{
    /// <summary>Embeds records that carry text but no vectors. <see langword="null"/>: such records are an error.</summary>
    public IEmbeddingGenerator<string, Embedding<float>>? EmbeddingGenerator { get; init; }

    /// <summary>Whether prompt texts are embedded (when a generator is set and a record has no prompt vector). Default true.</summary>
    public bool EmbedPrompts { get; init; } = true;

    /// <summary>Skip invalid lines instead of failing; the result lists what was skipped. Default false.</summary>
    public bool SkipInvalidRecords { get; init; }
}

/// <summary>A loaded dataset and the lines skipped on the way.</summary>
/// <param name="Dataset">The valid records.</param>
/// <param name="Skipped">One error per skipped line (empty unless skipping was on).</param>
public sealed record PreferenceLoadResult(PreferenceDataset Dataset, IReadOnlyList<InvalidPreferenceDataException> Skipped);
