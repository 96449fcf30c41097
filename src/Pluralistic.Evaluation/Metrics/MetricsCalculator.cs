namespace Pluralistic.Evaluation;

/// <summary>The arithmetic behind <see cref="PreferenceMetrics"/>, in one pass over the selected records.</summary>
internal static class MetricsCalculator
{
    private const double ConfidenceFloor = 0.5;
    private const double BinWidth = (1 - ConfidenceFloor) / PreferenceMetrics.CalibrationBinCount;

    // A confidence within this distance below a bin edge belongs to the upper bin: 0.6 - 0.5 is 0.0999... in
    // binary floating point, and a value printed as 0.6 must not land in the bin below.
    private const double EdgeTolerance = 1e-9;

    public static PreferenceMetrics Compute(PreferenceDataset data, IReadOnlyList<double> probabilities, IReadOnlyList<int>? records)
    {
        var count = records?.Count ?? data.Count;
        if (count == 0)
        {
            throw new ArgumentException("no records to measure", nameof(records));
        }

        var userIndex = data.UserIndices.Span;
        var groupIndex = data.GroupIndices.Span;
        var users = new Tally[data.Users.Count];
        var groups = new Tally[data.GroupNames.Count];
        var groupUsers = new HashSet<(int Group, int User)>();
        var bins = new BinTally[PreferenceMetrics.CalibrationBinCount];
        var overall = default(Tally);
        double brier = 0;

        for (var j = 0; j < count; j++)
        {
            var i = records?[j] ?? j;
            if ((uint)i >= (uint)data.Count)
            {
                throw new ArgumentException($"record index {i} is outside the dataset (0..{data.Count - 1})", nameof(records));
            }

            var p = probabilities[i];
            if (!double.IsFinite(p))
            {
                throw new ArgumentException($"the probability of record {i} is {p}; predictions must be finite", nameof(probabilities));
            }

            var correct = p > 0.5;
            var loss = -Math.Log(Math.Clamp(p, PreferenceMetrics.ProbabilityClip, 1 - PreferenceMetrics.ProbabilityClip));
            overall.Add(correct, loss);
            users[userIndex[i]].Add(correct, loss);
            if (groupIndex[i] >= 0)
            {
                groups[groupIndex[i]].Add(correct, loss);
                groupUsers.Add((groupIndex[i], userIndex[i]));
            }

            brier += (1 - p) * (1 - p);
            var confidence = Math.Max(p, 1 - p);
            bins[BinOf(confidence)].Add(confidence, correct);
        }

        var (perGroup, worst) = Groups(data, groups, groupUsers);
        var calibration = Calibration(bins);
        return new PreferenceMetrics
        {
            Count = count,
            Users = users.Count(u => u.Count > 0),
            Accuracy = overall.Accuracy,
            MeanUserAccuracy = users.Where(u => u.Count > 0).Average(u => u.Accuracy),
            LogLoss = overall.MeanLoss,
            Brier = brier / count,
            Ece = calibration.Sum(b => b.Count == 0 ? 0 : b.Count * Math.Abs(b.Accuracy!.Value - b.MeanConfidence!.Value)) / count,
            Calibration = calibration,
            PerGroup = perGroup,
            WorstGroup = worst,
            WorstGroupAccuracy = worst is null ? null : perGroup[worst].Accuracy,
        };
    }

    private static int BinOf(double confidence)
    {
        var bin = (int)Math.Floor(((confidence - ConfidenceFloor) / BinWidth) + EdgeTolerance);
        return Math.Clamp(bin, 0, PreferenceMetrics.CalibrationBinCount - 1);
    }

    private static CalibrationBin[] Calibration(BinTally[] bins)
    {
        var result = new CalibrationBin[bins.Length];
        for (var b = 0; b < bins.Length; b++)
        {
            var lower = ConfidenceFloor + (b * BinWidth);
            var upper = b == bins.Length - 1 ? 1.0 : ConfidenceFloor + ((b + 1) * BinWidth);
            var bin = bins[b];
            result[b] = bin.Count == 0
                ? new CalibrationBin(lower, upper, 0, null, null)
                : new CalibrationBin(lower, upper, bin.Count, bin.ConfidenceSum / bin.Count, (double)bin.Correct / bin.Count);
        }

        return result;
    }

    private static (IReadOnlyDictionary<string, GroupMetrics> PerGroup, string? Worst) Groups(
        PreferenceDataset data, Tally[] groups, HashSet<(int Group, int User)> groupUsers)
    {
        var usersPerGroup = new int[groups.Length];
        foreach (var (group, _) in groupUsers)
        {
            usersPerGroup[group]++;
        }

        // Ordinal order makes reports, plots and the worst-group tie-break independent of record order.
        var perGroup = new SortedDictionary<string, GroupMetrics>(StringComparer.Ordinal);
        for (var g = 0; g < groups.Length; g++)
        {
            if (groups[g].Count > 0)
            {
                perGroup[data.GroupNames[g]] = new GroupMetrics(groups[g].Count, usersPerGroup[g], groups[g].Accuracy, groups[g].MeanLoss);
            }
        }

        string? worst = null;
        foreach (var (name, metrics) in perGroup)
        {
            if (worst is null || metrics.Accuracy < perGroup[worst].Accuracy)
            {
                worst = name;
            }
        }

        return (perGroup, worst);
    }

    private struct Tally
    {
        public int Count;
        public int Correct;
        public double Loss;

        public readonly double Accuracy => (double)Correct / Count;

        public readonly double MeanLoss => Loss / Count;

        public void Add(bool correct, double loss)
        {
            Count++;
            Correct += correct ? 1 : 0;
            Loss += loss;
        }
    }

    private struct BinTally
    {
        public int Count;
        public int Correct;
        public double ConfidenceSum;

        public void Add(double confidence, bool correct)
        {
            Count++;
            Correct += correct ? 1 : 0;
            ConfidenceSum += confidence;
        }
    }
}
