using Pluralistic.Data;

namespace Pluralistic.Cli.Output;

/// <summary>
/// Finds the oracle of a generated file: <c>oracle.json</c> beside it, with a split named like the file
/// (<c>test_unseen.jsonl</c> -> <c>test_unseen</c>) and the same number of records.
/// </summary>
internal static class OracleLookup
{
    public static OracleSplit? Find(string dataPath, int records)
    {
        var oraclePath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(dataPath))!, "oracle.json");
        if (!File.Exists(oraclePath))
        {
            return null;
        }

        try
        {
            var report = SyntheticPopulation.ReadOracle(oraclePath);
            return report.Splits.TryGetValue(Path.GetFileNameWithoutExtension(dataPath), out var split) && split.Records == records ? split : null;
        }
        catch (InvalidPreferenceDataException)
        {
            // A foreign or damaged oracle.json only means there is no oracle to show.
            return null;
        }
    }
}
