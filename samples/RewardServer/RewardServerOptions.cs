namespace Pluralistic.Samples.RewardServer;

/// <summary>Settings of the reward server (configuration section <c>RewardServer</c>).</summary>
public sealed class RewardServerOptions
{
    /// <summary>The run directory to serve; when empty, a small demo model is trained at start-up into a temporary directory.</summary>
    public string? RunDirectory { get; set; }

    /// <summary>The text embedder of the demo model (when <see cref="RunDirectory"/> is empty): <c>minilm</c>, the sentence encoder (default), or <c>hashed</c>.</summary>
    public string DemoEmbedder { get; set; } = Pluralistic.Runs.TextEmbedderKinds.DefaultName;

    /// <summary>Accepted API keys (header <c>X-Api-Key</c>). Required: the server refuses to start without one.</summary>
    public IList<string> ApiKeys { get; } = [];

    /// <summary>The most candidates one /score request may carry.</summary>
    public int MaxCandidates { get; set; } = 64;

    /// <summary>The longest prompt or reply accepted, in characters.</summary>
    public int MaxTextLength { get; set; } = 4_000;

    /// <summary>The largest request body accepted, in bytes (larger bodies get 413).</summary>
    public long MaxRequestBytes { get; set; } = 256 * 1024;

    /// <summary>Score users without a state with the population-level reward (instead of 404).</summary>
    public bool ColdStart { get; set; } = true;
}
