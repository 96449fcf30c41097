using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Pluralistic;
using Pluralistic.Data;
using Pluralistic.Runs;
using Pluralistic.Text;
using Spectre.Console;

// A chat product's reranker, simulated: each round a user asks something, the model ranks candidate replies for that
// user, the (simulated) user picks one, and the pick is recorded as feedback so the next ranking is more personal.
var rounds = new Option<int>("--rounds") { Description = "Rounds of conversation.", DefaultValueFactory = _ => 30 };
var candidates = new Option<int>("--candidates") { Description = "Candidate replies per round.", DefaultValueFactory = _ => 4 };
var model = new Option<string?>("--model") { Description = $"Model kind (default: the first available of personalised kinds ({TextDemoRun.DefaultKind}))." };
var seed = new Option<int>("--seed") { Description = "Seed of the population, the user and the rounds.", DefaultValueFactory = _ => 0 };
var root = new RootCommand("Pluralistic chat reranker sample: watch a model learn one user's taste from their picks.") { rounds, candidates, model, seed };
root.SetAction(async (parse, cancellationToken) =>
{
    var console = AnsiConsole.Console;
    var runDirectory = Path.Combine(Path.GetTempPath(), "pluralistic-chat-reranker");
    var kind = parse.GetValue(model) ?? TextDemoRun.DefaultKind;
    SyntheticTextPopulation population = null!;
    await console.Status().StartAsync($"Training a {kind} model on the synthetic text population...", async _ =>
        population = await TextDemoRun.TrainAsync(runDirectory, kind, parse.GetValue(seed), cancellationToken: cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);

    // The application wires the model as a service would: run directory (writable: picks are recorded as feedback),
    // user-state cache; the run brings its own text embedder.
    var services = new ServiceCollection().AddPluralistic(o => o.Device = "cpu");
    services.AddUserRewardModel(runDirectory, o => o.ReadOnly = false).UseUserStateCache();
    await using var provider = services.BuildServiceProvider();
    var reranker = provider.GetRequiredService<IUserRewardModel>();

    // A user the model has never seen, with a hidden taste (which side of the pets question they are on).
    var user = population.UnseenUsers[0];
    console.MarkupLine($"Simulated user [bold]{user}[/]: hidden taste [bold]{population.GroupOf(user)}[/] (plus, like everyone, a taste for helpful replies). Model: [bold]{reranker.Metadata.Kind}[/].");

    var random = new Random(parse.GetValue(seed) + 1);
    var table = new Table().AddColumns("round", "topic", "model's pick", "user's pick", "hit", "so far", "pets");
    var (hits, contestedHits, contested) = (0, 0, 0);
    await console.Live(table).StartAsync(async live =>
    {
        for (var round = 1; round <= parse.GetValue(rounds); round++)
        {
            var turn = SyntheticTextPopulation.SampleRound(random, parse.GetValue(candidates));
            var texts = turn.Candidates.Select(c => c.Text).ToList();
            var ranked = await reranker.RankAsync(user, turn.Prompt, texts, new ScoringOptions { AllowColdStart = true }, cancellationToken).ConfigureAwait(false);

            // The user picks with Bradley-Terry noise over their hidden rewards (softmax choice).
            var rewards = turn.Candidates.Select(c => population.TrueReward(user, c)).ToArray();
            var pick = SampleSoftmax(rewards, random);
            var hit = ranked[0].Index == pick;
            hits += hit ? 1 : 0;
            if (turn.Topic == SyntheticTextPopulation.ContestedTopic)
            {
                contested++;
                contestedHits += hit ? 1 : 0;
            }

            for (var other = 0; other < texts.Count; other++)
            {
                if (other != pick)
                {
                    await reranker.RecordFeedbackAsync(user, turn.Prompt, texts[pick], texts[other], cancellationToken).ConfigureAwait(false);
                }
            }

            table.AddRow(
                round.ToString(CultureInfo.InvariantCulture),
                turn.Topic,
                Markup.Escape(Shorten(texts[ranked[0].Index])),
                Markup.Escape(Shorten(texts[pick])),
                hit ? "[green]yes[/]" : "[red]no[/]",
                ((double)hits / round).ToString("P0", CultureInfo.InvariantCulture),
                contested == 0 ? "-" : $"{contestedHits}/{contested}");
            live.Refresh();
        }
    }).ConfigureAwait(false);

    console.MarkupLine($"The model's top pick matched the user's choice in {hits} of {parse.GetValue(rounds)} rounds ({contestedHits} of {contested} on the contested topic). The user's state now rests on {(await reranker.ExportUserAsync(user, cancellationToken).ConfigureAwait(false))?.PairCount ?? 0} recorded pairs.");
    await reranker.ForgetUserAsync(user, cancellationToken).ConfigureAwait(false);
    return 0;
});
return await root.Parse(args).InvokeAsync().ConfigureAwait(false);

static int SampleSoftmax(double[] rewards, Random random)
{
    var max = rewards.Max();
    var weights = rewards.Select(r => Math.Exp(r - max)).ToArray();
    var draw = random.NextDouble() * weights.Sum();
    for (var i = 0; i < weights.Length; i++)
    {
        draw -= weights[i];
        if (draw <= 0)
        {
            return i;
        }
    }

    return weights.Length - 1;
}

static string Shorten(string text) => text.Length <= 26 ? text : text[..23] + "...";
