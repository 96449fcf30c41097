namespace Pluralistic.Torch;

/// <summary>
/// The model kinds an application knows, by name: what <c>train --model</c>, <c>Run.OpenAsync</c>, the
/// dependency-injection registrations and experiments look kinds up in. Immutable: <see cref="With"/> returns a
/// registry with one more kind, so a registry handed to a component never changes under it. The SDK's built-in
/// methods are in <c>RewardModelKinds.BuiltIn</c> (Pluralistic.Models); an application adds its own with
/// <c>RewardModelKinds.BuiltIn.With(new MyKind())</c>.
/// </summary>
public sealed class RewardModelKindRegistry
{
    private readonly IReadOnlyList<RewardModelKind> _kinds;

    /// <summary>Creates a registry of <paramref name="kinds"/>.</summary>
    /// <param name="kinds">The kinds, in the order they are listed.</param>
    /// <exception cref="ArgumentException">Two kinds share a name, or a name is not a lower-case identifier.</exception>
    public RewardModelKindRegistry(IEnumerable<RewardModelKind> kinds)
    {
        ArgumentNullException.ThrowIfNull(kinds);
        var list = kinds.ToList();
        foreach (var kind in list)
        {
            ArgumentNullException.ThrowIfNull(kind, nameof(kinds));
            if (string.IsNullOrEmpty(kind.Name) || !kind.Name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_'))
            {
                throw new ArgumentException($"model kind name '{kind.Name}' must be lower-case letters, digits, '-' or '_'", nameof(kinds));
            }
        }

        if (list.GroupBy(k => k.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } duplicate)
        {
            throw new ArgumentException($"two model kinds are named '{duplicate.Key}'", nameof(kinds));
        }

        _kinds = list;
    }

    /// <summary>The kinds, in the order they are listed.</summary>
    public IReadOnlyList<RewardModelKind> All => _kinds;

    /// <summary>The kinds' names, in order.</summary>
    public IReadOnlyList<string> Names => _kinds.Select(k => k.Name).ToList();

    /// <summary>A registry with <paramref name="kind"/> added (replacing none: names must be new).</summary>
    /// <param name="kind">The kind to add.</param>
    /// <returns>The new registry; this one is unchanged.</returns>
    /// <exception cref="ArgumentException">A kind of that name is already registered.</exception>
    public RewardModelKindRegistry With(RewardModelKind kind)
    {
        ArgumentNullException.ThrowIfNull(kind);
        return new RewardModelKindRegistry([.. _kinds, kind]);
    }

    /// <summary>Finds a kind by name (case-insensitive).</summary>
    /// <param name="name">The name.</param>
    /// <returns>The kind.</returns>
    /// <exception cref="UnknownModelKindException">No kind has that name.</exception>
    public RewardModelKind Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _kinds.FirstOrDefault(k => string.Equals(k.Name, name, StringComparison.OrdinalIgnoreCase))
            ?? throw new UnknownModelKindException(name, Names);
    }

    /// <summary>Loads a model of the manifest's kind from verified weights and checks it reproduces the recorded fingerprint.</summary>
    /// <param name="manifest">The manifest.</param>
    /// <param name="weights">The verified weights.</param>
    /// <param name="store">The user state store (owned by the model).</param>
    /// <param name="device">The device.</param>
    /// <returns>The model.</returns>
    /// <exception cref="UnknownModelKindException">The run's kind is not registered.</exception>
    /// <exception cref="CorruptRunException">The weights do not reproduce the manifest's fingerprint or do not fit.</exception>
    public TorchUserRewardModel Load(RunManifest manifest, byte[] weights, IUserStateStore store, TorchSharp.torch.Device device)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var model = Get(manifest.ModelKind).Load(manifest, weights, store, device);
        if (!string.Equals(model.Fingerprint, manifest.Weights.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            model.Dispose();
            throw new CorruptRunException(manifest.Weights.File, "the loaded weights do not reproduce the fingerprint recorded in the manifest");
        }

        return model;
    }
}
