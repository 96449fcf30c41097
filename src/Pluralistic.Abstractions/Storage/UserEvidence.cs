namespace Pluralistic;

/// <summary>
/// The packing of a user's retained labelled pairs in <see cref="UserState.Evidence"/>: per pair, the chosen
/// vector, the rejected vector, then the prompt vector when the model reads prompts, then the pair's weight.
/// </summary>
public static class UserEvidence
{
    /// <summary>The number of floats one pair takes.</summary>
    /// <param name="responseDimension">Response vector length.</param>
    /// <param name="promptDimension">Prompt vector length (0: none).</param>
    /// <returns>Floats per pair.</returns>
    public static int Stride(int responseDimension, int promptDimension) => (2 * responseDimension) + promptDimension + 1;

    /// <summary>Packs records of <paramref name="data"/> as evidence.</summary>
    /// <param name="data">The dataset.</param>
    /// <param name="records">The records to pack, in order.</param>
    /// <returns>Packed floats.</returns>
    public static float[] Pack(PreferenceDataset data, ReadOnlySpan<int> records)
    {
        ArgumentNullException.ThrowIfNull(data);
        var d = data.ResponseDimension;
        var dp = data.PromptDimension;
        var stride = Stride(d, dp);
        var packed = new float[records.Length * stride];
        for (var j = 0; j < records.Length; j++)
        {
            var row = packed.AsSpan(j * stride, stride);
            data.ChosenVector(records[j]).CopyTo(row);
            data.RejectedVector(records[j]).CopyTo(row[d..]);
            data.PromptVector(records[j]).CopyTo(row[(2 * d)..]);
            row[^1] = data.WeightAt(records[j]);
        }

        return packed;
    }

    /// <summary>
    /// Appends new pairs to retained ones, keeping the most recent <paramref name="capacity"/> pairs.
    /// </summary>
    /// <param name="retained">Packed earlier pairs.</param>
    /// <param name="added">Packed new pairs.</param>
    /// <param name="stride">Floats per pair.</param>
    /// <param name="capacity">The most pairs to keep.</param>
    /// <returns>The packed result and its pair count.</returns>
    public static (float[] Packed, int Count) Append(ReadOnlySpan<float> retained, ReadOnlySpan<float> added, int stride, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stride);
        var total = (retained.Length + added.Length) / stride;
        var keep = Math.Min(total, Math.Max(capacity, 0));
        var packed = new float[keep * stride];
        var skip = (total - keep) * stride;
        var fromRetained = Math.Max(retained.Length - skip, 0);
        retained[(retained.Length - fromRetained)..].CopyTo(packed);
        added[Math.Max(skip - retained.Length, 0)..].CopyTo(packed.AsSpan(fromRetained));
        return (packed, keep);
    }

    /// <summary>Unpacks evidence into a dataset of one user (for inference code that works on datasets).</summary>
    /// <param name="user">The user.</param>
    /// <param name="packed">Packed pairs.</param>
    /// <param name="responseDimension">Response vector length.</param>
    /// <param name="promptDimension">Prompt vector length.</param>
    /// <returns>The pairs as a dataset, or <see langword="null"/> when there are none.</returns>
    public static PreferenceDataset? Unpack(UserId user, ReadOnlySpan<float> packed, int responseDimension, int promptDimension)
    {
        var stride = Stride(responseDimension, promptDimension);
        var count = packed.Length / stride;
        if (count == 0)
        {
            return null;
        }

        var builder = new PreferenceDatasetBuilder(responseDimension, promptDimension, count);
        for (var j = 0; j < count; j++)
        {
            var row = packed.Slice(j * stride, stride);
            builder.Add(
                user,
                row[..responseDimension],
                row.Slice(responseDimension, responseDimension),
                row.Slice(2 * responseDimension, promptDimension),
                new PreferenceRecordExtras { Weight = row[^1] });
        }

        return builder.Build();
    }
}
