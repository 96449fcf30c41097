namespace Pluralistic.Evaluation;

/// <summary>The true values of named objectives of a response (a synthetic population knows them, for example <c>SyntheticPopulation.TrueObjectives</c>).</summary>
/// <param name="response">The response vector.</param>
/// <returns>One value per objective.</returns>
public delegate double[] ResponseObjectives(ReadOnlySpan<float> response);

/// <summary>How <see cref="ControlSweep"/> sweeps a direction.</summary>
public sealed record ControlSweepOptions
{
    /// <summary>Default options: 7 points, best of 16.</summary>
    public static ControlSweepOptions Default { get; } = new();

    /// <summary>Points along the sweep, both ends included (at least 2). Default 7.</summary>
    public int Steps { get; init; } = 7;

    /// <summary>n of best-of-n: the candidates are split into consecutive sets of n and each set gives one pick. Default 16.</summary>
    public int CandidatesPerPick { get; init; } = 16;
}

/// <summary>One direction of a sweep and what best-of-n picked under it.</summary>
/// <param name="Fraction">How far along the sweep (0 = the start direction, 1 = the end).</param>
/// <param name="AngleDegrees">The angle between this direction and the start direction.</param>
/// <param name="Direction">The direction.</param>
/// <param name="MeanTrueObjectives">Mean true value of each true objective over the picks (in <see cref="ControlSweepResult.TrueObjectiveNames"/> order).</param>
/// <param name="MeanModelObjectives">Mean model score of each of the model's objectives over the picks (in <see cref="ControlSweepResult.ModelObjectiveNames"/> order).</param>
public sealed record ControlSweepPoint(
    double Fraction, double AngleDegrees, PreferenceDirection Direction, IReadOnlyList<double> MeanTrueObjectives, IReadOnlyList<double> MeanModelObjectives);

/// <summary>A control sweep: best-of-n picks under directions turning from one direction to another.</summary>
public sealed record ControlSweepResult
{
    /// <summary>The start direction.</summary>
    public required PreferenceDirection From { get; init; }

    /// <summary>The end direction.</summary>
    public required PreferenceDirection To { get; init; }

    /// <summary>The names of the true objectives.</summary>
    public required IReadOnlyList<string> TrueObjectiveNames { get; init; }

    /// <summary>The model's objectives.</summary>
    public required IReadOnlyList<string> ModelObjectiveNames { get; init; }

    /// <summary>The points, from the start to the end.</summary>
    public required IReadOnlyList<ControlSweepPoint> Points { get; init; }

    /// <summary>The number of best-of-n picks per point.</summary>
    public required int Picks { get; init; }

    /// <summary>n of best-of-n.</summary>
    public required int CandidatesPerPick { get; init; }

    /// <summary>The mean true value of one objective's picks at every point.</summary>
    /// <param name="trueObjective">A true objective's name.</param>
    /// <returns>One value per point.</returns>
    /// <exception cref="ArgumentException">There is no such true objective.</exception>
    public IReadOnlyList<double> Series(string trueObjective)
    {
        var index = TrueObjectiveNames.ToList().IndexOf(trueObjective);
        if (index < 0)
        {
            throw new ArgumentException($"unknown true objective '{trueObjective}'; known: {string.Join(", ", TrueObjectiveNames)}", nameof(trueObjective));
        }

        return Points.Select(p => p.MeanTrueObjectives[index]).ToList();
    }

    /// <summary>Whether one objective's mean true value never decreases from point to point (allowing <paramref name="tolerance"/>).</summary>
    /// <param name="trueObjective">A true objective's name.</param>
    /// <param name="tolerance">How much a step may fall and still count as non-decreasing.</param>
    /// <returns>True when monotone.</returns>
    public bool IsNonDecreasing(string trueObjective, double tolerance = 0)
    {
        var series = Series(trueObjective);
        return series.Zip(series.Skip(1)).All(p => p.Second >= p.First - tolerance);
    }
}

/// <summary>
/// Arithmetic control, measured: turn a direction step by step from <c>from</c> to <c>to</c> (spherical
/// interpolation, equal angles), and at every step pick the best of n candidates under that direction; report the
/// mean true objectives of the picks. Moving toward an objective should raise that objective's true value of the
/// pick monotonically. Model-agnostic over <see cref="IMultiObjectiveRewardModel"/>.
/// </summary>
public static class ControlSweep
{
    /// <summary>Sweeps from one direction to another.</summary>
    /// <param name="model">A model offering <see cref="IMultiObjectiveRewardModel"/>.</param>
    /// <param name="from">The start direction.</param>
    /// <param name="to">The end direction (over the same objectives; not opposite to <paramref name="from"/>).</param>
    /// <param name="candidates">The candidates, split into consecutive sets of <see cref="ControlSweepOptions.CandidatesPerPick"/> (a remainder is left out).</param>
    /// <param name="trueObjectiveNames">The names of the values <paramref name="trueObjectives"/> returns.</param>
    /// <param name="trueObjectives">The true objective values of a response.</param>
    /// <param name="options">Steps and n; <see langword="null"/> for defaults.</param>
    /// <param name="cancellationToken">Cancels the sweep.</param>
    /// <returns>The sweep.</returns>
    /// <exception cref="CapabilityNotSupportedException">The model has no objectives.</exception>
    /// <exception cref="ArgumentException">The options are invalid, or there are fewer candidates than one set.</exception>
    public static async Task<ControlSweepResult> RunAsync(
        IUserRewardModel model,
        PreferenceDirection from,
        PreferenceDirection to,
        ResponseBatch candidates,
        IReadOnlyList<string> trueObjectiveNames,
        ResponseObjectives trueObjectives,
        ControlSweepOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(trueObjectiveNames);
        ArgumentNullException.ThrowIfNull(trueObjectives);
        options ??= ControlSweepOptions.Default;
        if (options.Steps < 2)
        {
            throw new ArgumentException($"a sweep needs at least 2 steps, got {options.Steps}", nameof(options));
        }

        var n = options.CandidatesPerPick;
        if (n < 1 || candidates.Count < n)
        {
            throw new ArgumentException($"best-of-{n} needs at least {Math.Max(n, 1)} candidates, got {candidates.Count}", nameof(candidates));
        }

        var objectives = model.GetRequiredService<IMultiObjectiveRewardModel>();
        var picks = candidates.Count / n;
        var d = candidates.Dimension;
        var truth = new double[candidates.Count][];
        for (var i = 0; i < truth.Length; i++)
        {
            truth[i] = trueObjectives(candidates.Responses.Span.Slice(i * d, d));
            if (truth[i].Length != trueObjectiveNames.Count)
            {
                throw new ArgumentException($"the true objectives returned {truth[i].Length} values for {trueObjectiveNames.Count} names", nameof(trueObjectives));
            }
        }

        var scores = await objectives.ScoreObjectivesAsync(candidates, cancellationToken).ConfigureAwait(false);
        var k = objectives.ObjectiveNames.Count;
        var points = new List<ControlSweepPoint>(options.Steps);
        for (var step = 0; step < options.Steps; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var fraction = (double)step / (options.Steps - 1);
            var direction = PreferenceDirection.Interpolate(from, to, fraction);
            var rewards = await objectives.ScoreDirectionAsync(candidates, direction, cancellationToken).ConfigureAwait(false);
            var meanTrue = new double[trueObjectiveNames.Count];
            var meanModel = new double[k];
            for (var set = 0; set < picks; set++)
            {
                var best = set * n;
                for (var i = best + 1; i < (set + 1) * n; i++)
                {
                    if (rewards[i] > rewards[best])
                    {
                        best = i;
                    }
                }

                for (var o = 0; o < meanTrue.Length; o++)
                {
                    meanTrue[o] += truth[best][o] / picks;
                }

                for (var o = 0; o < k; o++)
                {
                    meanModel[o] += scores[best, o] / (double)picks;
                }
            }

            points.Add(new ControlSweepPoint(fraction, from.AngleDegrees(direction), direction, meanTrue, meanModel));
        }

        return new ControlSweepResult
        {
            From = from,
            To = to,
            TrueObjectiveNames = trueObjectiveNames,
            ModelObjectiveNames = objectives.ObjectiveNames,
            Points = points,
            Picks = picks,
            CandidatesPerPick = n,
        };
    }

    /// <summary>Sweeps from a direction toward one of the model's objectives (the end is that objective's unit direction).</summary>
    /// <param name="model">A model offering <see cref="IMultiObjectiveRewardModel"/>.</param>
    /// <param name="from">The start direction.</param>
    /// <param name="objective">The model objective to turn toward.</param>
    /// <param name="candidates">The candidates.</param>
    /// <param name="trueObjectiveNames">The names of the values <paramref name="trueObjectives"/> returns.</param>
    /// <param name="trueObjectives">The true objective values of a response.</param>
    /// <param name="options">Steps and n; <see langword="null"/> for defaults.</param>
    /// <param name="cancellationToken">Cancels the sweep.</param>
    /// <returns>The sweep.</returns>
    /// <exception cref="UnknownObjectiveException">The model has no such objective.</exception>
    public static Task<ControlSweepResult> TowardAsync(
        IUserRewardModel model,
        PreferenceDirection from,
        string objective,
        ResponseBatch candidates,
        IReadOnlyList<string> trueObjectiveNames,
        ResponseObjectives trueObjectives,
        ControlSweepOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(from);
        return RunAsync(model, from, PreferenceDirection.Along(from.Objectives, objective), candidates, trueObjectiveNames, trueObjectives, options, cancellationToken);
    }
}
