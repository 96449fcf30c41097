namespace Pluralistic.Evaluation;

/// <summary>
/// A reference row: a simple baseline a reviewer would ask for — what a practitioner could build in an afternoon —
/// fitted on the same training pairs as the methods and measured by the same evaluation code
/// (<see cref="ReferenceEvaluator"/>), so every method is judged against it.
/// </summary>
/// <remarks>
/// References run on the CPU in plain .NET and predict <c>p(chosen)</c> per record. Some need what only some data
/// carries (item ids, ratings); <see cref="NotApplicableReason"/> says why one cannot run, so a report can show it as
/// "n/a" with the reason.
/// </remarks>
public abstract class ReferenceModel
{
    /// <summary>The short name used in reports and on the command line (e.g. <c>item-mean</c>).</summary>
    public abstract string Name { get; }

    /// <summary>One line on what the reference does.</summary>
    public abstract string Description { get; }

    /// <summary>Why the reference cannot run on this training data, or <see langword="null"/> when it can.</summary>
    /// <param name="train">The training pairs.</param>
    /// <param name="items">The training pairs' items, when the records name them.</param>
    /// <returns>The reason, or <see langword="null"/>.</returns>
    public abstract string? NotApplicableReason(PreferenceDataset train, PreferenceItems? items);

    /// <summary>Fits the reference on training pairs.</summary>
    /// <param name="train">The training pairs.</param>
    /// <param name="items">The training pairs' items, when the records name them.</param>
    /// <param name="cancellationToken">Cancels fitting.</param>
    /// <returns>The fitted reference.</returns>
    /// <exception cref="InvalidOperationException">The reference cannot run on this data (see <see cref="NotApplicableReason"/>).</exception>
    public FittedReference Fit(PreferenceDataset train, PreferenceItems? items, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        CheckAligned(train, items);
        if (NotApplicableReason(train, items) is { } reason)
        {
            throw new InvalidOperationException($"the {Name} reference cannot run on this data: {reason}");
        }

        return FitCore(train, items, cancellationToken);
    }

    /// <summary>Fits the reference on training pairs that it can run on.</summary>
    /// <param name="train">The training pairs.</param>
    /// <param name="items">The training pairs' items, when the records name them.</param>
    /// <param name="cancellationToken">Cancels fitting.</param>
    /// <returns>The fitted reference.</returns>
    protected abstract FittedReference FitCore(PreferenceDataset train, PreferenceItems? items, CancellationToken cancellationToken);

    /// <summary>Fails when per-record items do not match the records.</summary>
    /// <param name="data">The records.</param>
    /// <param name="items">Their items, or <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">The counts differ.</exception>
    internal static void CheckAligned(PreferenceDataset data, PreferenceItems? items)
    {
        if (items is not null && items.Count != data.Count)
        {
            throw new ArgumentException($"expected the items of {data.Count} records, got {items.Count}", nameof(items));
        }
    }
}

/// <summary>A fitted reference row: predicts <c>p(chosen)</c> for any user's pairs.</summary>
public abstract class FittedReference
{
    /// <summary>The reference's name (<see cref="ReferenceModel.Name"/>).</summary>
    public abstract string Name { get; }

    /// <summary>
    /// Predicts the query records. Without context, a user the training pairs showed is predicted from what they
    /// showed; with context (even empty), every user is inferred from their context records alone, as a few-shot user
    /// is. A user with nothing to go on gets the population-level prediction (never an error).
    /// </summary>
    /// <param name="queries">The records to predict.</param>
    /// <param name="queryItems">Their items, when the records name them.</param>
    /// <param name="context">Labelled records to infer the users from; <see langword="null"/> to use the training pairs.</param>
    /// <param name="contextItems">The context records' items, when they name them.</param>
    /// <returns>One prediction per query: rewards whose difference is the predicted log-odds that the chosen response wins.</returns>
    public PairPredictions Predict(PreferenceDataset queries, PreferenceItems? queryItems, PreferenceDataset? context = null, PreferenceItems? contextItems = null)
    {
        ArgumentNullException.ThrowIfNull(queries);
        ReferenceModel.CheckAligned(queries, queryItems);
        if (context is not null)
        {
            ReferenceModel.CheckAligned(context, contextItems);
        }

        return PredictCore(queries, queryItems, context, contextItems);
    }

    /// <summary>Predicts validated, aligned records (see <see cref="Predict"/>).</summary>
    /// <param name="queries">The records to predict.</param>
    /// <param name="queryItems">Their items, when the records name them.</param>
    /// <param name="context">Context records (possibly none), or <see langword="null"/> to use the training pairs.</param>
    /// <param name="contextItems">The context records' items, when they name them.</param>
    /// <returns>One prediction per query.</returns>
    protected abstract PairPredictions PredictCore(PreferenceDataset queries, PreferenceItems? queryItems, PreferenceDataset? context, PreferenceItems? contextItems);
}

/// <summary>The reference rows every report shows beside the methods.</summary>
public static class ReferenceModels
{
    /// <summary>Item mean rating, user-user kNN and the per-user linear model, in report order.</summary>
    public static IReadOnlyList<ReferenceModel> All { get; } = [new ItemMeanReference(), new UserKnnReference(), new UserLinearReference()];

    /// <summary>The names of <see cref="All"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = All.Select(r => r.Name).ToList();

    /// <summary>Finds a reference by name.</summary>
    /// <param name="name">The name (case-insensitive).</param>
    /// <returns>The reference.</returns>
    /// <exception cref="ArgumentException">No reference has that name.</exception>
    public static ReferenceModel Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return All.FirstOrDefault(r => string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"unknown reference '{name}'; available: {string.Join(", ", Names)}", nameof(name));
    }
}
