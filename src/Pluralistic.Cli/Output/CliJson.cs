using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pluralistic.Cli.Output;

/// <summary>Writes a command's <c>--json</c> result: exactly one JSON object on stdout.</summary>
internal static class CliJson
{
    public static async Task WriteAsync<T>(TextWriter writer, T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo)
    {
        await writer.WriteLineAsync(JsonSerializer.Serialize(value, typeInfo)).ConfigureAwait(false);
        await writer.FlushAsync().ConfigureAwait(false);
    }
}

/// <summary>Source-generated JSON for command results (snake_case).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Commands.GenerateResult))]
[JsonSerializable(typeof(Commands.TrainResult))]
[JsonSerializable(typeof(Commands.AdaptResult))]
[JsonSerializable(typeof(Commands.PredictResult))]
[JsonSerializable(typeof(Commands.EvaluateResult))]
[JsonSerializable(typeof(Commands.DemoResult))]
[JsonSerializable(typeof(Commands.AblateResult))]
[JsonSerializable(typeof(Data.RatingsImportSummary))]
[JsonSerializable(typeof(Commands.CompareResult))]
[JsonSerializable(typeof(Commands.ForgetResult))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
