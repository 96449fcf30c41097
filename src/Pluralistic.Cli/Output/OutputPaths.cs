using Pluralistic.Runs;

namespace Pluralistic.Cli.Output;

/// <summary>
/// Output paths that cannot clobber: an output option may not name an input of the same command (or the temporary
/// file written beside it) nor a file a run directory consists of. Checked before any work, so a refused command
/// writes nothing.
/// </summary>
internal static class OutputPaths
{
    /// <summary>Refuses <paramref name="output"/> when it is one of <paramref name="inputs"/> or a file of one of <paramref name="runs"/>.</summary>
    /// <param name="option">The output option (for the message), e.g. <c>--out</c>.</param>
    /// <param name="output">The file the command will write.</param>
    /// <param name="inputs">The command's input files, by option.</param>
    /// <param name="runs">The run directories the command reads.</param>
    /// <exception cref="OutputPathException">The output would overwrite an input or a run's file.</exception>
    public static void EnsureSafe(string option, string output, IEnumerable<(string Option, string? Path)> inputs, IEnumerable<string?> runs)
    {
        var target = Canonical(output);
        var written = new[] { target, Canonical(output + ".tmp") };
        foreach (var (inputOption, inputPath) in inputs)
        {
            if (inputPath is not null && written.Contains(Canonical(inputPath), PathComparer))
            {
                throw new OutputPathException($"{option} '{output}' would overwrite the input file of {inputOption} ('{inputPath}'); write the output to another path (nothing was written)");
            }
        }

        foreach (var run in runs)
        {
            if (run is null)
            {
                continue;
            }

            var directory = Canonical(run);
            if (PathComparer.Equals(target, directory))
            {
                throw new OutputPathException($"{option} '{output}' is the run directory '{run}'; write the output to another path (nothing was written)");
            }

            if (written.Any(w => PathComparer.Equals(Path.GetDirectoryName(w), directory) && RunReplacement.IsRunFile(Path.GetFileName(w))))
            {
                throw new OutputPathException(
                    $"{option} '{output}' names the run's own file '{Path.GetFileName(target)}' in '{run}'; write the output to another path (nothing was written)");
            }
        }
    }

    private static StringComparer PathComparer => OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;

    // The full path with symbolic links resolved (the file itself and its directory), so a link cannot hide a clash.
    private static string Canonical(string path)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        try
        {
            var directory = Path.GetDirectoryName(full);
            if (directory is not null && new DirectoryInfo(directory).ResolveLinkTarget(returnFinalTarget: true) is { } resolvedDirectory)
            {
                full = Path.Combine(resolvedDirectory.FullName, Path.GetFileName(full));
            }

            return new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? full;
        }
        catch (IOException)
        {
            return full;
        }
    }
}

/// <summary>An output option names a file the command reads or a file of a run directory.</summary>
internal sealed class OutputPathException(string message) : PluralisticException(message);
