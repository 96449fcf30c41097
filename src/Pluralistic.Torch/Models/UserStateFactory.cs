namespace Pluralistic.Torch;

/// <summary>
/// Makes the state records of one model: which pairs a user's state is inferred from (retained evidence plus new
/// pairs, up to the model's evidence capacity) and the versioned <see cref="UserState"/> that records the result.
/// </summary>
/// <param name="info">What the model is (kind, dimensions, evidence capacity).</param>
/// <param name="fingerprint">The fingerprint of the model's weights.</param>
internal sealed class UserStateFactory(TorchModelInfo info, string fingerprint)
{
    /// <summary>The floats one packed pair takes in evidence.</summary>
    public int Stride => UserEvidence.Stride(info.ResponseDimension, info.PromptDimension);

    /// <summary>The pairs to infer a user's state from: <paramref name="retainedFrom"/>'s evidence, then the new pairs.</summary>
    /// <param name="retainedFrom">The state whose evidence to keep, or <see langword="null"/> to learn from the new pairs alone.</param>
    /// <param name="added">The new pairs, packed.</param>
    /// <param name="addedCount">How many new pairs.</param>
    /// <returns>The packed evidence, its pair count and the user's total pair count.</returns>
    public EvidencePlan Plan(UserState? retainedFrom, float[] added, int addedCount)
    {
        var retained = retainedFrom is not null && retainedFrom.EvidenceCount * Stride == retainedFrom.Evidence.Length ? retainedFrom.Evidence.Span : default;
        var (packed, count) = UserEvidence.Append(retained, added, Stride, Math.Max(info.EvidenceCapacity, addedCount == 0 ? 0 : 1));

        // With no room to retain evidence, infer from the new pairs alone.
        if (info.EvidenceCapacity == 0)
        {
            packed = added;
            count = addedCount;
        }

        return new EvidencePlan(packed, count, (retainedFrom?.PairCount ?? 0) + addedCount);
    }

    /// <summary>A state of a user that has no state yet (trainers use it for seen users).</summary>
    /// <param name="user">The user.</param>
    /// <param name="vector">The state vector.</param>
    /// <param name="data">The user's pairs.</param>
    /// <param name="records">The records of the user in <paramref name="data"/>, oldest first.</param>
    /// <returns>The state, retaining the most recent pairs as evidence.</returns>
    public UserState Create(UserId user, float[] vector, PreferenceDataset data, ReadOnlySpan<int> records)
    {
        var keep = Math.Min(records.Length, info.EvidenceCapacity);
        var evidence = UserEvidence.Pack(data, records[(records.Length - keep)..]);
        return Next(user, null, vector, new EvidencePlan(evidence, keep, records.Length));
    }

    /// <summary>The state that follows <paramref name="previous"/>: the next revision, same creation time.</summary>
    /// <param name="user">The user.</param>
    /// <param name="previous">The state it replaces, or <see langword="null"/> for a first state.</param>
    /// <param name="vector">The state vector.</param>
    /// <param name="plan">The evidence the vector was inferred from.</param>
    /// <returns>The state.</returns>
    public UserState Next(UserId user, UserState? previous, float[] vector, EvidencePlan plan)
    {
        var now = DateTimeOffset.UtcNow;
        return new UserState
        {
            User = user,
            ModelKind = info.Kind,
            ModelFingerprint = fingerprint,
            Vector = vector,
            Evidence = plan.Evidence,
            EvidenceCount = plan.EvidenceCount,
            PairCount = plan.PairCount,
            Revision = (previous?.Revision ?? 0) + 1,
            CreatedUtc = previous?.CreatedUtc ?? now,
            UpdatedUtc = now,
        };
    }
}

/// <summary>The pairs a user's state is inferred from.</summary>
/// <param name="Evidence">The pairs, packed as <see cref="UserEvidence"/> describes.</param>
/// <param name="EvidenceCount">How many pairs are packed.</param>
/// <param name="PairCount">How many pairs the user has given in total.</param>
internal readonly record struct EvidencePlan(float[] Evidence, int EvidenceCount, int PairCount);
