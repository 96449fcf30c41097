namespace Pluralistic.Storage.LiteDb;

/// <summary>How a <see cref="LiteDbUserStateStore"/> opens its file.</summary>
public sealed record LiteDbUserStateStoreOptions
{
    /// <summary>The collection user states live in unless <see cref="CollectionName"/> says otherwise.</summary>
    public const string DefaultCollectionName = "user_states";

    /// <summary>
    /// Opens the store without ever writing its file (scoring and evaluation of a trained run): the file must exist
    /// and stays byte-for-byte unchanged; write methods throw <see cref="UserStateStoreException"/>. Other processes
    /// may read the same file at the same time but none may open it for writing.
    /// </summary>
    public bool ReadOnly { get; init; }

    /// <summary>
    /// The LiteDB collection that holds the states: letters, digits and underscores, starting with a letter or an
    /// underscore, at most 60 characters. Stores with different names can share one file.
    /// </summary>
    public string CollectionName { get; init; } = DefaultCollectionName;

    /// <summary>
    /// After a delete, moves the change from LiteDB's log into the data file at once (a checkpoint), so the deleted
    /// user's id and vectors are gone from the files on disk when <see cref="IUserStateStore.DeleteAsync"/> returns
    /// rather than when the store closes. Default <see langword="true"/>: forgetting a user is a promise.
    /// </summary>
    public bool ScrubOnDelete { get; init; } = true;
}
