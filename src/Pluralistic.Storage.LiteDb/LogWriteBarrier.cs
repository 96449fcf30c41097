using System.Reflection;
using LiteDB;
using LiteDB.Engine;

namespace Pluralistic.Storage.LiteDb;

/// <summary>
/// Waits until LiteDB's log writer has handed every committed page to the operating system, so a write the store
/// acknowledges survives the process being killed. LiteDB 5.0 commits by queueing the transaction's pages for a
/// background writer and exposes no public way to wait for it; its internal <c>DiskWriterQueue.Wait()</c> does exactly
/// that, reached here by reflection (LiteDB is pinned to 5.0.20 in Directory.Packages.props). Where the members are not
/// found (another LiteDB build), <see cref="For"/> returns <see langword="null"/> and the store keeps LiteDB's inline
/// writer, which writes and fsyncs the log on the committing thread: slower, equally safe.
/// </summary>
internal sealed class LogWriteBarrier
{
    private const BindingFlags Instance = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;

    private static readonly FieldInfo? EngineField = typeof(LiteDatabase).GetField("_engine", Instance);
    private static readonly FieldInfo? DiskField = typeof(LiteEngine).GetField("_disk", Instance);
    private static readonly PropertyInfo? QueueProperty = DiskField?.FieldType.GetProperty("Queue", Instance);
    private static readonly Type? QueueType = QueueProperty?.PropertyType is { IsGenericType: true } lazy && lazy.GetGenericTypeDefinition() == typeof(Lazy<>)
        ? lazy.GetGenericArguments()[0]
        : null;

    private static readonly MethodInfo? WaitMethod = QueueType?.GetMethod("Wait", Instance, Type.EmptyTypes);
    private static readonly PropertyInfo? IsValueCreated = QueueProperty?.PropertyType.GetProperty(nameof(Lazy<>.IsValueCreated));
    private static readonly PropertyInfo? Value = QueueProperty?.PropertyType.GetProperty(nameof(Lazy<>.Value));

    private readonly object _queue;

    private LogWriteBarrier(object queue) => _queue = queue;

    /// <summary>The barrier of a database's log writer, or <see langword="null"/> where this LiteDB build hides it.</summary>
    /// <param name="database">An open database.</param>
    /// <returns>The barrier, or <see langword="null"/>.</returns>
    public static LogWriteBarrier? For(LiteDatabase database)
    {
        if (WaitMethod is null || IsValueCreated is null || Value is null
            || EngineField?.GetValue(database) is not LiteEngine engine
            || DiskField!.GetValue(engine) is not { } disk
            || QueueProperty!.GetValue(disk) is not { } queue)
        {
            return null;
        }

        return new LogWriteBarrier(queue);
    }

    /// <summary>Blocks until the log writer's queue is empty: every page committed so far is in the log file.</summary>
    /// <remarks>Call it under the store's write lock, after a commit: no other write may enqueue pages meanwhile.</remarks>
    public void Wait()
    {
        if (IsValueCreated!.GetValue(_queue) is true)
        {
            WaitMethod!.Invoke(Value!.GetValue(_queue), null);
        }
    }
}
