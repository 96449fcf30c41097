using Pluralistic.Storage.LiteDb;
using Pluralistic.Torch;

namespace Pluralistic.Runs;

/// <summary>
/// A run directory being written. The new run is written into a staging directory beside the target (same parent,
/// so a rename moves it) and takes the target's place only when complete: an existing run is moved aside, the staging
/// directory renamed to the target, and only then the old run's files removed. A failure before that leaves the old
/// run as it was; a failure between the two renames puts the old run back. While it lives it holds the lock every
/// writer of the run's store takes, so a run another process has open (adapting, serving, scoring) is never replaced
/// under it, and nobody opens the old run while it is being replaced.
/// </summary>
internal sealed class RunReplacement : IDisposable
{
    // Everything a run directory may hold: what SaveAsync writes, LiteDB's log and lock, and interrupted writes' temps.
    private static readonly HashSet<string> RunFiles = new(
        [
            Checkpoint.ManifestFile, Checkpoint.WeightsFile, RunDirectory.UserStoreFile, RunDirectory.EmbeddingGeneratorFile,
            "users-log.db", RunDirectory.UserStoreFile + ".lock", Checkpoint.ManifestFile + ".tmp", Checkpoint.WeightsFile + ".tmp",
            RunDirectory.EmbeddingGeneratorFile + ".tmp",
        ],
        StringComparer.Ordinal);

    /// <summary>Whether a file name is one a run directory consists of.</summary>
    public static bool IsRunFile(string? name) => name is not null && RunFiles.Contains(name);

    private readonly string _parent;
    private IDisposable? _lock;
    private bool _committed;

    private RunReplacement(string target, string parent, string staging, IDisposable? held)
    {
        Target = target;
        _parent = parent;
        Staging = staging;
        _lock = held;
    }

    /// <summary>The run directory to write.</summary>
    public string Target { get; }

    /// <summary>Where the new run is written until <see cref="Commit"/>.</summary>
    public string Staging { get; }

    /// <summary>Checks the target may be written, locks an existing run and creates the staging directory.</summary>
    /// <exception cref="RunDirectoryException">
    /// The target holds a run and <paramref name="overwrite"/> is false, holds files that are not part of a run, or its
    /// run is open in another process.
    /// </exception>
    public static RunReplacement Begin(string directory, bool overwrite)
    {
        var target = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        var parent = Path.GetDirectoryName(target);
        if (string.IsNullOrEmpty(parent))
        {
            throw new RunDirectoryException(target, $"'{target}' is a file system root; write a run into a directory of its own");
        }

        if (File.Exists(target))
        {
            throw new RunDirectoryException(target, $"'{target}' is a file, not a run directory");
        }

        IDisposable? held = null;
        if (Directory.Exists(target))
        {
            if (File.Exists(Path.Combine(target, Checkpoint.ManifestFile)) && !overwrite)
            {
                throw new RunDirectoryException(target, $"'{target}' already holds a run; choose another directory or overwrite it explicitly (--force)");
            }

            var foreign = Directory.EnumerateFileSystemEntries(target).Select(Path.GetFileName).Where(n => !RunFiles.Contains(n!)).Order(StringComparer.Ordinal).ToList();
            if (foreign.Count > 0)
            {
                throw new RunDirectoryException(
                    target,
                    $"'{target}' holds {foreign.Count} entries that are not part of a run ({string.Join(", ", foreign.Take(5))}{(foreign.Count > 5 ? ", ..." : string.Empty)}); " +
                    "a run is replaced as a whole directory, so move them out or choose another directory");
            }

            var store = Path.Combine(target, RunDirectory.UserStoreFile);
            try
            {
                // A directory without a store (empty, or a run interrupted before its store) has nothing to lock.
                held = File.Exists(store) || File.Exists(Path.Combine(target, Checkpoint.ManifestFile)) ? LiteDbUserStateStore.LockExclusively(store) : null;
            }
            catch (UserStateStoreException e)
            {
                throw new RunDirectoryException(
                    target, $"the run in '{target}' is open in another process (adapting, serving or scoring it); a run is never replaced under a process that holds it: {e.Message}", e);
            }
        }

        try
        {
            var staging = Path.Combine(parent, $".{Path.GetFileName(target)}.staging-{Guid.NewGuid():N}");
            Directory.CreateDirectory(staging);
            return new RunReplacement(target, parent, staging, held);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            held?.Dispose();
            throw new RunDirectoryException(target, $"cannot create a staging directory beside '{target}': {e.Message}", e);
        }
    }

    /// <summary>Puts the staged run in the target's place and removes the old run's files.</summary>
    /// <exception cref="RunDirectoryException">A rename failed; the old run (if any) is back in place.</exception>
    public void Commit()
    {
        try
        {
            if (!Directory.Exists(Target))
            {
                Directory.Move(Staging, Target);
                _committed = true;
                return;
            }

            var aside = Path.Combine(_parent, $".{Path.GetFileName(Target)}.replaced-{Guid.NewGuid():N}");
            Directory.Move(Target, aside);
            try
            {
                Directory.Move(Staging, Target);
            }
            catch
            {
                Directory.Move(aside, Target);
                throw;
            }

            _committed = true;
            _lock?.Dispose();
            _lock = null;
            RemoveOldRun(aside);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RunDirectoryException(Target, $"the new run could not take the place of '{Target}' ({e.Message}); the old run, if any, is unchanged", e);
        }
    }

    /// <summary>Removes the staging directory unless committed, and releases the lock.</summary>
    public void Dispose()
    {
        if (!_committed && Directory.Exists(Staging))
        {
            try
            {
                Directory.Delete(Staging, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A staging directory left behind is inert: it is hidden, and never read as the run.
            }
        }

        _lock?.Dispose();
        _lock = null;
    }

    // Only files a run consists of are removed; anything else that appeared meanwhile keeps the old directory alive.
    private static void RemoveOldRun(string aside)
    {
        try
        {
            foreach (var file in Directory.EnumerateFiles(aside).Where(f => RunFiles.Contains(Path.GetFileName(f))).ToList())
            {
                File.Delete(file);
            }

            Directory.Delete(aside, recursive: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The new run is in place; an old directory that could not be emptied stays beside it, hidden.
        }
    }
}
