namespace Pluralistic.Data;

/// <summary>
/// The hidden truth of a synthetic population: a nonlinear feature map F(response, prompt) shared by everyone and,
/// per user, parameters theta so that the user's reward is <c>sharpness * theta . F</c>. Linear in theta, so the
/// population-mean reward is the reward of the mean theta.
/// </summary>
internal abstract class SyntheticPreset
{
    public abstract string Name { get; }

    public abstract string Description { get; }

    public abstract IReadOnlyList<(string Name, double Share)> Groups { get; }

    public virtual int PromptDimension => 0;

    public abstract int FeatureCount { get; }

    /// <summary>Named objectives whose true values are the features (multi-objective presets only).</summary>
    public virtual IReadOnlyList<string> Objectives => [];

    public abstract void Initialize(Random random, int responseDimension);

    public abstract void Features(ReadOnlySpan<float> response, ReadOnlySpan<float> prompt, Span<double> features);

    public abstract double[] SampleUser(int group, Random random);

    public static SyntheticPreset Create(string name) => name switch
    {
        "groups" => new GroupsPreset(),
        "mixture" => new MixturePreset(),
        "directions" => new DirectionsPreset(),
        "minority" => new MinorityPreset(),
        _ => throw new ArgumentException($"unknown preset '{name}'; available: {string.Join(", ", SyntheticPopulation.PresetNames)}", nameof(name)),
    };
}

/// <summary>Groups of unequal size (55/30/15%) around shared plus group-specific tastes, users at cosine 0.7 from their group centre.</summary>
internal sealed class GroupsPreset : SyntheticPreset
{
    private const int Hidden = 16;
    private TanhFeatures _features = null!;
    private double[][] _centres = null!;

    public override string Name => "groups";

    public override string Description =>
        "Three groups of unequal size (A 55%, B 30%, minority C 15%). A user's reward is a weighting of 16 tanh features " +
        "of a random projection of the response; group centres share a common taste plus a group-specific one, and each " +
        "user's weights sit at cosine 0.7 from the group centre, so clustering alone leaves accuracy on the table.";

    public override IReadOnlyList<(string Name, double Share)> Groups { get; } = [("A", 0.55), ("B", 0.30), ("C", 0.15)];

    public override int FeatureCount => Hidden;

    public override void Initialize(Random random, int responseDimension)
    {
        _features = new TanhFeatures(random, responseDimension, Hidden, gain: 1.5, biasScale: 0.5);
        var shared = SyntheticMath.UnitVector(random, Hidden);
        _centres = Groups.Select(_ => SyntheticMath.Normalize(SyntheticMath.Combine(0.45, shared, 1.0, SyntheticMath.UnitVector(random, Hidden)))).ToArray();
    }

    public override void Features(ReadOnlySpan<float> response, ReadOnlySpan<float> prompt, Span<double> features) => _features.Apply(response, features);

    public override double[] SampleUser(int group, Random random) => SyntheticMath.AtCosine(random, _centres[group], 0.7);
}

/// <summary>A majority and a small minority (about 10:1) that agree on a shared taste and oppose each other on a contested one.</summary>
internal sealed class MinorityPreset : SyntheticPreset
{
    private const int Hidden = 16;
    private TanhFeatures _features = null!;
    private double[][] _centres = null!;

    public override string Name => "minority";

    public override string Description =>
        "A majority (91%) and a minority (9%, about 10:1) who share one taste and weigh a second, contested taste with " +
        "opposite signs: they agree on many pairs and disagree where the contested taste decides. Users sit at cosine " +
        "0.85 from their group centre.";

    public override IReadOnlyList<(string Name, double Share)> Groups { get; } = [("majority", 10.0 / 11), ("minority", 1.0 / 11)];

    public override int FeatureCount => Hidden;

    public override void Initialize(Random random, int responseDimension)
    {
        _features = new TanhFeatures(random, responseDimension, Hidden, gain: 1.5, biasScale: 0.5);
        var shared = SyntheticMath.UnitVector(random, Hidden);
        var contested = SyntheticMath.AtCosine(random, shared, 0);
        _centres =
        [
            SyntheticMath.Normalize(SyntheticMath.Combine(1, shared, 1.2, contested)),
            SyntheticMath.Normalize(SyntheticMath.Combine(1, shared, -1.2, contested)),
        ];
    }

    public override void Features(ReadOnlySpan<float> response, ReadOnlySpan<float> prompt, Span<double> features) => _features.Apply(response, features);

    public override double[] SampleUser(int group, Random random) => SyntheticMath.AtCosine(random, _centres[group], 0.85);
}

/// <summary>Users as mixtures of three reward functions whose preferred direction turns with the prompt.</summary>
internal sealed class MixturePreset : SyntheticPreset
{
    private const int Hidden = 16;
    private const int PromptFeatures = 8;
    private const int Functions = 3;
    private TanhFeatures _responseFeatures = null!;
    private TanhFeatures _promptFeatures = null!;
    private double[][] _base = null!;
    private double[][][] _promptMaps = null!;

    public override string Name => "mixture";

    public override string Description =>
        "Prompt-dependent preferences: three reward functions, each weighting 16 tanh response features by a direction " +
        "that turns with the prompt (a base direction plus a map of 8 tanh prompt features). A user is a mixture of the " +
        "three (mostly one: groups F1 50%, F2 35%, F3 15%), so which response a user prefers depends on the prompt.";

    public override IReadOnlyList<(string Name, double Share)> Groups { get; } = [("F1", 0.50), ("F2", 0.35), ("F3", 0.15)];

    public override int PromptDimension => 16;

    public override int FeatureCount => Functions;

    public override void Initialize(Random random, int responseDimension)
    {
        _responseFeatures = new TanhFeatures(random, responseDimension, Hidden, gain: 1.5, biasScale: 0.5);
        _promptFeatures = new TanhFeatures(random, PromptDimension, PromptFeatures, gain: 1.5, biasScale: 0.3);
        _base = Enumerable.Range(0, Functions).Select(_ => SyntheticMath.UnitVector(random, Hidden)).ToArray();
        _promptMaps = Enumerable.Range(0, Functions)
            .Select(_ => Enumerable.Range(0, Hidden).Select(_ => SyntheticMath.GaussianVector(random, PromptFeatures, 0.6)).ToArray())
            .ToArray();
    }

    public override void Features(ReadOnlySpan<float> response, ReadOnlySpan<float> prompt, Span<double> features)
    {
        Span<double> phi = stackalloc double[Hidden];
        Span<double> psi = stackalloc double[PromptFeatures];
        Span<double> direction = stackalloc double[Hidden];
        _responseFeatures.Apply(response, phi);
        _promptFeatures.Apply(prompt, psi);
        for (var j = 0; j < Functions; j++)
        {
            double norm = 0;
            for (var h = 0; h < Hidden; h++)
            {
                direction[h] = (0.5 * _base[j][h]) + SyntheticMath.Dot(_promptMaps[j][h], psi);
                norm += direction[h] * direction[h];
            }

            features[j] = SyntheticMath.Dot(direction, phi) / Math.Sqrt(norm);
        }
    }

    public override double[] SampleUser(int group, Random random)
    {
        var noise = SyntheticMath.Dirichlet(random, Functions, 1.0);
        return noise.Select((v, j) => (0.3 * v) + (j == group ? 0.7 : 0)).ToArray();
    }
}

/// <summary>Multi-objective: three named objectives with per-response ratings; users are unit directions over them.</summary>
internal sealed class DirectionsPreset : SyntheticPreset
{
    private const int Hidden = 16;
    private static readonly double[][] GroupCentres =
    [
        [1.0, -0.6, 0.2],
        [0.6, 1.0, 0.0],
        [0.3, -0.2, 1.0],
    ];

    private TanhFeatures _features = null!;
    private double[][] _objectiveWeights = null!;

    public override string Name => "directions";

    public override string Description =>
        "Multi-objective: each response has true values on three objectives (helpfulness, verbosity, safety), each a " +
        "tanh of a different weighting of 16 tanh features; records carry noisy 1..5 ratings of both responses " +
        "(about 10% missing). A user is a unit direction over the objectives (groups: concise 50%, detailed 35%, " +
        "cautious 15%; users at cosine 0.9 from their group's direction) and their reward is direction . objectives.";

    public override IReadOnlyList<(string Name, double Share)> Groups { get; } = [("concise", 0.50), ("detailed", 0.35), ("cautious", 0.15)];

    public override IReadOnlyList<string> Objectives { get; } = ["helpfulness", "verbosity", "safety"];

    public override int FeatureCount => 3;

    public override void Initialize(Random random, int responseDimension)
    {
        _features = new TanhFeatures(random, responseDimension, Hidden, gain: 1.5, biasScale: 0.5);
        _objectiveWeights = Objectives.Select(_ => SyntheticMath.GaussianVector(random, Hidden, 1.5 / Math.Sqrt(Hidden) * 2)).ToArray();
    }

    public override void Features(ReadOnlySpan<float> response, ReadOnlySpan<float> prompt, Span<double> features)
    {
        Span<double> phi = stackalloc double[Hidden];
        _features.Apply(response, phi);
        for (var o = 0; o < _objectiveWeights.Length; o++)
        {
            features[o] = Math.Tanh(SyntheticMath.Dot(_objectiveWeights[o], phi));
        }
    }

    public override double[] SampleUser(int group, Random random) =>
        SyntheticMath.AtCosine(random, SyntheticMath.Normalize(GroupCentres[group]), 0.9);
}
