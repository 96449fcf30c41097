namespace Pluralistic.Data;

/// <summary>Two disjoint pools of phrasings of one meaning: one for training records, one for test records.</summary>
/// <param name="Train">Phrasings used in <c>train.jsonl</c>.</param>
/// <param name="Test">Phrasings used in <c>test_seen.jsonl</c> and <c>test_unseen.jsonl</c> (context and queries alike).</param>
internal sealed record PhrasingPools(IReadOnlyList<string> Train, IReadOnlyList<string> Test)
{
    public IReadOnlyList<string> For(bool test) => test ? Test : Train;
}

/// <summary>A latent response: what an answer says, whatever its wording.</summary>
/// <param name="Name">Its name within the topic (for example <c>cat</c>, <c>good</c>, <c>bad</c>).</param>
/// <param name="Stance">On a contested topic +1 or -1 for the two sides; 0 otherwise.</param>
/// <param name="Quality">+1 helpful, -1 dismissive.</param>
/// <param name="Phrasings">Its phrasings.</param>
internal sealed record ParaphraseAnswer(string Name, int Stance, int Quality, PhrasingPools Phrasings);

/// <summary>A topic: its prompts and its latent responses.</summary>
/// <param name="Name">The topic (the records' <c>topic</c> key).</param>
/// <param name="Prompts">Phrasings of its questions.</param>
/// <param name="Answers">Its latent responses.</param>
internal sealed record ParaphraseTopic(string Name, PhrasingPools Prompts, IReadOnlyList<ParaphraseAnswer> Answers)
{
    public bool IsContested => Answers.Any(a => a.Stance != 0);

    public IReadOnlyList<ParaphraseAnswer> Helpful { get; } = Answers.Where(a => a.Quality > 0).ToList();

    public IReadOnlyList<ParaphraseAnswer> Dismissive { get; } = Answers.Where(a => a.Quality < 0).ToList();
}
