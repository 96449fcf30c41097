using Microsoft.Extensions.AI;
using Pluralistic.Data;
using Pluralistic.Runs;
using Pluralistic.Text;

namespace Pluralistic.Experiments;

/// <summary>
/// Data ready for an experiment: training pairs, seen users' held-out pairs and unseen users' pairs — a synthetic
/// population with its oracle and (for text) its embedder, or a user's own data split by <see cref="UserSplit"/>.
/// </summary>
public sealed record PreparedPopulation
{
    /// <summary>Every preset an experiment can run: the vector presets, then the text presets.</summary>
    public static IReadOnlyList<string> Presets { get; } = [.. SyntheticPopulation.PresetNames, SyntheticTextPopulation.PresetName, SyntheticParaphrasePopulation.PresetName];

    /// <summary>
    /// The demo's presets: all but <c>paraphrase</c>, whose test sentences need a sentence encoder to mean anything and
    /// whose extra minutes would push the demo past its budget on 2 cores (<c>demo --presets</c> adds it).
    /// </summary>
    public static IReadOnlyList<string> DemoPresets { get; } = [.. Presets.Where(p => p != SyntheticParaphrasePopulation.PresetName)];

    /// <summary>The preset, or the name of the user's data.</summary>
    public required string Preset { get; init; }

    /// <summary>What the preset models.</summary>
    public required string Description { get; init; }

    /// <summary>Training pairs.</summary>
    public required PreferenceDataset Train { get; init; }

    /// <summary>Held-out pairs of seen users.</summary>
    public required PreferenceDataset TestSeen { get; init; }

    /// <summary>Pairs of unseen users (each user's first pairs serve as context).</summary>
    public required PreferenceDataset TestUnseen { get; init; }

    /// <summary>
    /// When set, each unseen user's records from this position on are their queries and the ones before it their
    /// context (the few-shot curve's layout), whatever the number of context pairs a single evaluation uses; when
    /// <see langword="null"/>, an evaluation with K context pairs scores each user's records after the first K.
    /// </summary>
    public int? UnseenQueryStart { get; init; }

    /// <summary>The items of the training pairs, when the records name them.</summary>
    public PreferenceItems? TrainItems { get; init; }

    /// <summary>The items of the seen users' held-out pairs, when the records name them.</summary>
    public PreferenceItems? TestSeenItems { get; init; }

    /// <summary>The items of the unseen users' pairs, when the records name them.</summary>
    public PreferenceItems? TestUnseenItems { get; init; }

    /// <summary>The oracle report (synthetic populations); <see langword="null"/> for a user's own data.</summary>
    public OracleReport? Oracle { get; init; }

    /// <summary>The text embedder the datasets were embedded with (text presets only), behind an in-memory cache; saved with each run.</summary>
    public IEmbeddingGenerator<string, Embedding<float>>? Embedder { get; init; }

    /// <summary>For the text presets, which test_unseen records are contested pairs (the groups disagree on them).</summary>
    public IReadOnlySet<int> ContestedUnseenRecords { get; init; } = new HashSet<int>();

    /// <summary>Writes the population's files (JSONL splits and oracle.json); <see langword="null"/> when there is nothing to write.</summary>
    public Func<string, CancellationToken, Task>? WriteAsync { get; init; }

    /// <summary>
    /// Draws further held-out users of the same population (count, pairs per user, seed) without changing its
    /// training data; <see langword="null"/> where the generator cannot (the text presets).
    /// </summary>
    public Func<int, int, int, PreferenceDataset>? DrawHeldOutUsers { get; init; }

    /// <summary>
    /// Draws further held-out pairs for every seen user (pairs per user, seed) without changing the training data;
    /// <see langword="null"/> where the generator cannot (the text presets).
    /// </summary>
    public Func<int, int, PreferenceDataset>? DrawHeldOutSeenPairs { get; init; }

    /// <summary>Generates and prepares a preset; text is embedded by the default embedder (<see cref="TextEmbedderKinds.DefaultName"/>).</summary>
    /// <param name="preset">A preset of <see cref="Presets"/>.</param>
    /// <param name="options">Sizes and seed (the preset is set here).</param>
    /// <param name="cancellationToken">Cancels preparation.</param>
    /// <returns>The prepared population.</returns>
    public static Task<PreparedPopulation> CreateAsync(string preset, SyntheticPopulationOptions options, CancellationToken cancellationToken = default) =>
        CreateAsync(preset, options, TextEmbedderKinds.DefaultName, cancellationToken);

    /// <summary>Generates and prepares a preset.</summary>
    /// <param name="preset">A preset of <see cref="Presets"/>.</param>
    /// <param name="options">Sizes and seed (the preset is set here).</param>
    /// <param name="textEmbedder">The text embedder of text presets (a name of <see cref="TextEmbedderKinds"/>: <c>minilm</c>, <c>hashed</c>); vector presets ignore it.</param>
    /// <param name="cancellationToken">Cancels preparation.</param>
    /// <returns>The prepared population.</returns>
    /// <exception cref="UnknownTextEmbedderException">The embedder name is unknown.</exception>
    public static async Task<PreparedPopulation> CreateAsync(string preset, SyntheticPopulationOptions options, string textEmbedder, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var embedderKind = TextEmbedderKinds.Get(textEmbedder);
        var text = GenerateText(preset, options);
        if (text is null)
        {
            var population = SyntheticPopulation.Generate(options with { Preset = preset });
            return new PreparedPopulation
            {
                Preset = population.Preset,
                Description = population.Description,
                Train = population.ToDataset(population.Train),
                TestSeen = population.ToDataset(population.TestSeen),
                TestUnseen = population.ToDataset(population.TestUnseen),
                Oracle = population.Oracle,
                WriteAsync = population.WriteAsync,
                DrawHeldOutUsers = (count, pairs, seed) => population.ToDataset(population.DrawHeldOutUsers(count, pairs, seed)),
                DrawHeldOutSeenPairs = (pairs, seed) => population.ToDataset(population.DrawHeldOutPairs(pairs, seed)),
            };
        }

        // The splits repeat prompts and replies: the cache embeds each distinct text once.
        var embedder = new MemoryCachingEmbeddingGenerator(embedderKind.Create(TextEmbedderKinds.DistinctTexts(text.Train)));
        return new PreparedPopulation
        {
            Preset = text.Preset,
            Description = text.Description,
            Train = await SyntheticTextPopulation.ToDatasetAsync(text.Train, embedder, cancellationToken).ConfigureAwait(false),
            TestSeen = await SyntheticTextPopulation.ToDatasetAsync(text.TestSeen, embedder, cancellationToken).ConfigureAwait(false),
            TestUnseen = await SyntheticTextPopulation.ToDatasetAsync(text.TestUnseen, embedder, cancellationToken).ConfigureAwait(false),
            Oracle = text.Oracle,
            Embedder = embedder,
            ContestedUnseenRecords = Enumerable.Range(0, text.TestUnseen.Count).Where(i => text.IsContestedPair(text.TestUnseen[i])).ToHashSet(),
            WriteAsync = text.WriteAsync,
        };
    }

    /// <summary>Generates a text preset's records (not yet embedded).</summary>
    /// <param name="preset">A preset of <see cref="Presets"/>.</param>
    /// <param name="options">Sizes and seed.</param>
    /// <returns>The population, or <see langword="null"/> when the preset is a vector preset.</returns>
    public static ISyntheticTextPopulation? GenerateText(string preset, SyntheticPopulationOptions options) => preset switch
    {
        SyntheticTextPopulation.PresetName => SyntheticTextPopulation.Generate(options),
        SyntheticParaphrasePopulation.PresetName => SyntheticParaphrasePopulation.Generate(options),
        _ => null,
    };

    /// <summary>What a preset models.</summary>
    /// <param name="preset">A preset of <see cref="Presets"/>.</param>
    /// <returns>Its description.</returns>
    public static string Describe(string preset) => preset switch
    {
        SyntheticTextPopulation.PresetName => SyntheticTextPopulation.Describe(),
        SyntheticParaphrasePopulation.PresetName => SyntheticParaphrasePopulation.Describe(),
        _ => SyntheticPopulation.Describe(preset),
    };
}
