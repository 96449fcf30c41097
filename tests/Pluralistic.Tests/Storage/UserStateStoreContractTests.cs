using Pluralistic.Storage.LiteDb;
using Pluralistic.Tests.Support;

namespace Pluralistic.Tests.Storage;

public class InMemoryUserStateStoreContractTests : UserStateStoreContract
{
    protected override IUserStateStore CreateStore() => new InMemoryUserStateStore();
}

/// <summary>
/// The overlay runs the whole contract over a base that throws on any write: passing it shows the overlay never
/// writes to its base.
/// </summary>
public class OverlayUserStateStoreContractTests : UserStateStoreContract
{
    protected override IUserStateStore CreateStore() => new OverlayUserStateStore(new WriteRejectingStore(new InMemoryUserStateStore()));
}

public class LiteDbMemoryUserStateStoreContractTests : UserStateStoreContract
{
    protected override IUserStateStore CreateStore() => new LiteDbUserStateStore(":memory:");
}

public class LiteDbFileUserStateStoreContractTests : PersistentUserStateStoreContract
{
    private readonly TempDirectory _directory = new();
    private string? _lastPath;
    private int _created;

    protected override IUserStateStore CreateStore()
    {
        _lastPath = _directory.File($"states-{++_created}.db");
        return new LiteDbUserStateStore(_lastPath);
    }

    protected override IUserStateStore Reopen() => new LiteDbUserStateStore(_lastPath!);

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            _directory.Dispose();
        }
    }
}
