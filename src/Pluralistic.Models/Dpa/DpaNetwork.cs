using Pluralistic.Torch;
using Pluralistic.Torch.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace Pluralistic.Models.Dpa;

/// <summary>
/// DPA's population module: the objective vector r(x, prompt) in R^K (standardised per objective) and the
/// population facts that scoring needs — the reward scale s, the mean direction of the seen users (cold start) and
/// the concentration of the direction prior — plus the rating statistics to turn r back into rating units.
/// Field names are the weights' file format.
/// </summary>
internal sealed class DpaNetwork : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly Tensor input_mean;
    private readonly Tensor input_std;
    private readonly RandomTanhFeatures? features;
    private readonly Mlp objectives;
    private readonly Tensor rating_mean;
    private readonly Tensor rating_std;
    private readonly Tensor log_scale;
    private readonly Tensor mean_direction;
    private readonly Tensor prior_concentration;

    public DpaNetwork(int responseDimension, int promptDimension, int objectiveCount, bool latent, DpaOptions options)
        : base("dpa")
    {
        InputDimension = responseDimension + promptDimension;
        ObjectiveCount = objectiveCount;
        Regression = latent ? ObjectiveRegression.Mlp : options.Regression;
        input_mean = zeros(InputDimension);
        input_std = ones(InputDimension);
        var inputs = InputDimension;
        if (Regression == ObjectiveRegression.RandomFeatureRidge)
        {
            features = new RandomTanhFeatures(InputDimension, options.RandomFeatures);
            inputs = options.RandomFeatures;
        }

        IReadOnlyList<int> hidden = Regression == ObjectiveRegression.Mlp ? options.HiddenSizes : [];
        objectives = new Mlp(inputs, hidden, objectiveCount, options.Activation, latent ? options.LatentDropout : options.Dropout, name: "objectives");
        rating_mean = zeros(objectiveCount);
        rating_std = ones(objectiveCount);
        log_scale = zeros(Array.Empty<long>());
        mean_direction = full(objectiveCount, ScalarCache.Of(1 / Math.Sqrt(objectiveCount)), ScalarType.Float32);
        prior_concentration = zeros(Array.Empty<long>());
        RegisterComponents();
    }

    /// <summary>Response plus prompt dimension.</summary>
    public int InputDimension { get; }

    /// <summary>K.</summary>
    public int ObjectiveCount { get; }

    /// <summary>How r(x) is computed from the embedding.</summary>
    public ObjectiveRegression Regression { get; }

    /// <summary>The final linear map onto the objectives (the closed-form ridge writes it).</summary>
    public TorchSharp.Modules.Linear OutputLayer => objectives.OutputLayer;

    /// <summary>The objective network (trained by the MLP regression and the joint phases).</summary>
    public Mlp ObjectiveHead => objectives;

    /// <summary>The reward scale s.</summary>
    public double Scale => Math.Exp(log_scale.item<float>());

    /// <summary>The prior concentration kappa.</summary>
    public double PriorConcentration => prior_concentration.item<float>();

    /// <summary>The mean direction of the seen users (unit), on the module's device.</summary>
    public Tensor MeanDirection => mean_direction;

    /// <summary>The per-objective rating means (0 for latent objectives).</summary>
    public float[] RatingMeans => Values(rating_mean);

    /// <summary>The per-objective rating standard deviations (1 for latent objectives).</summary>
    public float[] RatingStds => Values(rating_std);

    /// <summary>The mean direction of the seen users, copied to the host.</summary>
    public float[] MeanDirectionValues => Values(mean_direction);

    /// <summary>
    /// Copies a buffer to the host. <c>cpu()</c> returns a new handle even on the CPU, so it is released in a scope.
    /// </summary>
    private static float[] Values(Tensor buffer)
    {
        using var scope = NewDisposeScope();
        return buffer.cpu().data<float>().ToArray();
    }

    /// <summary>The objective vectors of inputs: [B, d] (+ [B, dp]) -> [B, K].</summary>
    public override Tensor forward(Tensor responses, Tensor? prompts) => objectives.call(Features(responses, prompts));

    /// <summary>
    /// The standardised inputs <c>([response ; prompt] - mean) / std</c>, through the random features when the
    /// regression uses them: [B, d] (+ [B, dp]) -> [B, F]. The closed-form ridge regresses on these.
    /// </summary>
    public Tensor Features(Tensor responses, Tensor? prompts)
    {
        var x = RewardInputs.Of(responses, prompts);
        x = (x - input_mean) / input_std;
        return features is null ? x : features.call(x);
    }

    /// <summary>Fixes the per-coordinate mean and standard deviation of the inputs (from the training responses).</summary>
    public void SetInputStatistics(Tensor mean, Tensor std)
    {
        using var noGrad = no_grad();
        input_mean.copy_(mean);
        input_std.copy_(std.clamp_min(ScalarCache.Of(1e-6)));
    }

    /// <summary>Writes the population facts learned after the objectives.</summary>
    public void SetPopulation(double scale, ReadOnlySpan<float> meanDirection, double concentration)
    {
        using var noGrad = no_grad();
        using var logScale = Math.Log(scale).ToScalar();
        using var kappa = concentration.ToScalar();
        log_scale.fill_(logScale);
        using var mean = tensor(meanDirection.ToArray(), [ObjectiveCount], ScalarType.Float32);
        mean_direction.copy_(mean);
        prior_concentration.fill_(kappa);
    }

    /// <summary>Writes the rating statistics (the objectives are standardised ratings).</summary>
    public void SetRatingStatistics(float[] means, float[] stds)
    {
        using var noGrad = no_grad();
        using var m = tensor(means, [ObjectiveCount], ScalarType.Float32);
        using var s = tensor(stds, [ObjectiveCount], ScalarType.Float32);
        rating_mean.copy_(m);
        rating_std.copy_(s);
    }

    /// <summary>Rescales the objectives in place: r'(x) = (r(x) - center) / spread, by rewriting the output layer.</summary>
    public void Standardize(Tensor center, Tensor spread)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var layer = objectives.OutputLayer;
        layer.weight!.div_(spread.unsqueeze(1));
        if (layer.bias is { } bias)
        {
            bias.sub_(center).div_(spread);
        }
    }
}

/// <summary>
/// Fixed random tanh features of standardised inputs: tanh(A x + b) with A ~ N(0, 1/d) and b ~ N(0, 0.25), so
/// pre-activations have about unit variance. Seeded with the module.
/// </summary>
internal sealed class RandomTanhFeatures : nn.Module<Tensor, Tensor>
{
    private readonly Tensor weight;
    private readonly Tensor bias;

    public RandomTanhFeatures(int inputs, int outputs)
        : base("features")
    {
        weight = randn(outputs, inputs).DividedBy(Math.Sqrt(inputs));
        bias = randn(outputs).Times(0.5);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input) => tanh(nn.functional.linear(input, weight, bias));
}
