using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Pluralistic.Storage.LiteDb;

/// <summary>
/// Checks LiteDB's log file (<c>&lt;name&gt;-log&lt;ext&gt;</c>) before LiteDB may replay it. A writer that stops
/// before a checkpoint (a crash, a kill) leaves its committed transactions in the log, and the next open copies every
/// confirmed page of the log into the data file at the offset its page id names. LiteDB does that without checking the
/// log belongs to the data file: a stray log (copied from another run) or damaged bytes write pages at arbitrary offsets,
/// turning the data file into a sparse file of hundreds of gigabytes. So the log is read here, through a read-only
/// stream, and refused with a <see cref="UserStateStoreRecoveryException"/> before anything is written when
/// <list type="bullet">
/// <item>its length is not a whole number of pages (a torn write),</item>
/// <item>a page has a type LiteDB 5 never writes,</item>
/// <item>a header page in it is not a LiteDB 5 header, or was created at another time than the data file's header
/// (the log of another database),</item>
/// <item>a page id lies beyond what the data file and the log together can hold (every page LiteDB allocates is written
/// to the log first, so a genuine log never names a page past the data file's pages plus its own).</item>
/// </list>
/// The caller then opens data and log read-only and reads every document, so a log whose pages fit but whose content
/// does not belong is refused too.
/// </summary>
internal static class StoreLog
{
    /// <summary>LiteDB 5's page size.</summary>
    public const int PageSize = 8192;

    // LiteDB 5 page layout (BasePage / HeaderPage): part of LiteDB's file format.
    private const int PageIdOffset = 0;
    private const int PageTypeOffset = 4;
    private const int TransactionIdOffset = 14;
    private const int IsConfirmedOffset = 18;
    private const int HeaderInfoOffset = 32;
    private const int FileVersionOffset = 59;
    private const int LastPageIdOffset = 64;
    private const int CreationTimeOffset = 68;
    private const byte HighestPageType = 4;
    private const byte HeaderPageType = 1;
    private const byte FileVersion = 8;
    private static readonly byte[] HeaderInfo = Encoding.ASCII.GetBytes("** This is a LiteDB file **");

    /// <summary>LiteDB names the log <c>&lt;name&gt;-log&lt;extension&gt;</c> beside the data file.</summary>
    public static string PathOf(string dataPath) =>
        Path.Combine(Path.GetDirectoryName(dataPath)!, Path.GetFileNameWithoutExtension(dataPath) + "-log" + Path.GetExtension(dataPath));

    /// <summary>Whether a log with content is waiting to be replayed.</summary>
    public static bool IsPending(string dataPath)
    {
        var log = new FileInfo(PathOf(dataPath));
        return log.Exists && log.Length > 0;
    }

    /// <summary>Checks the pending log of a data file (nothing to do when there is none).</summary>
    /// <exception cref="UserStateStoreRecoveryException">The log cannot be replayed safely.</exception>
    public static void Verify(string dataPath)
    {
        var logPath = PathOf(dataPath);
        if (!IsPending(dataPath))
        {
            return;
        }

        try
        {
            VerifyPages(dataPath, logPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Refuse(dataPath, $"it cannot be read ({e.Message})", e);
        }
    }

    /// <summary>The error for a log that cannot be replayed, saying what to do.</summary>
    public static UserStateStoreRecoveryException Refuse(string dataPath, string reason, Exception? inner = null)
    {
        var logPath = PathOf(dataPath);
        return new UserStateStoreRecoveryException(
            dataPath,
            logPath,
            $"The user state store '{dataPath}' has a LiteDB log '{logPath}' (left by a writer that stopped before a checkpoint, or put there) " +
            $"that cannot be replayed safely: {reason}. Nothing was written. If the log is not this store's (copied from another run), move it " +
            "aside and open again; if it is, keep both files and restore the store from a backup (moving the log aside loses the changes " +
            "written since the last checkpoint).",
            inner);
    }

    private static void VerifyPages(string dataPath, string logPath)
    {
        using var data = new FileStream(dataPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var log = new FileStream(logPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        if (data.Length < PageSize)
        {
            throw Refuse(dataPath, string.Create(CultureInfo.InvariantCulture, $"the data file has {data.Length} bytes, less than one page, so the log has nothing to belong to"));
        }

        if (log.Length % PageSize != 0)
        {
            throw Refuse(dataPath, string.Create(CultureInfo.InvariantCulture, $"its length ({log.Length} bytes) is not a whole number of {PageSize}-byte pages (a torn or foreign file)"));
        }

        var page = new byte[PageSize];
        data.ReadExactly(page);
        if (!IsHeader(page))
        {
            throw Refuse(dataPath, "the data file does not start with a LiteDB 5 header page");
        }

        var creation = BinaryPrimitives.ReadInt64LittleEndian(page.AsSpan(CreationTimeOffset));

        // Every page LiteDB allocates goes to the log before it reaches the data file: a genuine log never names a page
        // past what the two files hold together. LiteDB replays only the pages of confirmed transactions (a transaction
        // is confirmed by the flag on its last page), so those are the pages bounded; this also bounds how far a replay
        // can grow the data file.
        var dataPages = (data.Length + PageSize - 1) / PageSize;
        var logPages = log.Length / PageSize;
        var limit = dataPages + logPages;
        var confirmed = new HashSet<uint>();
        for (long index = 0; index < logPages; index++)
        {
            log.ReadExactly(page);
            var type = page[PageTypeOffset];
            var where = string.Create(CultureInfo.InvariantCulture, $"page {index} of the log");
            if (type > HighestPageType)
            {
                throw Refuse(dataPath, string.Create(CultureInfo.InvariantCulture, $"{where} has page type {type}, which LiteDB 5 never writes"));
            }

            if (page[IsConfirmedOffset] > 1)
            {
                throw Refuse(dataPath, $"{where} has an invalid confirmation flag");
            }

            if (page[IsConfirmedOffset] == 1)
            {
                confirmed.Add(BinaryPrimitives.ReadUInt32LittleEndian(page.AsSpan(TransactionIdOffset)));
            }
        }

        log.Position = 0;
        for (long index = 0; index < logPages; index++)
        {
            log.ReadExactly(page);
            if (!confirmed.Contains(BinaryPrimitives.ReadUInt32LittleEndian(page.AsSpan(TransactionIdOffset))))
            {
                continue;
            }

            var pageId = BinaryPrimitives.ReadUInt32LittleEndian(page.AsSpan(PageIdOffset));
            var where = string.Create(CultureInfo.InvariantCulture, $"page {index} of the log");
            if (pageId >= limit)
            {
                throw Refuse(dataPath, string.Create(
                    CultureInfo.InvariantCulture,
                    $"{where} names page id {pageId}, but the data file and the log hold {limit} pages together (replaying it would write {(long)pageId * PageSize} bytes into the data file)"));
            }

            if (page[PageTypeOffset] == HeaderPageType || pageId == 0)
            {
                if (pageId != 0 || !IsHeader(page))
                {
                    throw Refuse(dataPath, $"{where} is not a valid LiteDB 5 header page");
                }

                if (BinaryPrimitives.ReadInt64LittleEndian(page.AsSpan(CreationTimeOffset)) != creation)
                {
                    throw Refuse(dataPath, "its header was created at another time than the data file's: it is the log of another database");
                }

                var lastPage = BinaryPrimitives.ReadUInt32LittleEndian(page.AsSpan(LastPageIdOffset));
                if (lastPage >= limit)
                {
                    throw Refuse(dataPath, string.Create(CultureInfo.InvariantCulture, $"{where} says the database has {(long)lastPage + 1} pages, more than the data file and the log hold ({limit})"));
                }
            }
        }
    }

    private static bool IsHeader(ReadOnlySpan<byte> page) =>
        BinaryPrimitives.ReadUInt32LittleEndian(page[PageIdOffset..]) == 0
        && page[PageTypeOffset] == HeaderPageType
        && page.Slice(HeaderInfoOffset, HeaderInfo.Length).SequenceEqual(HeaderInfo)
        && page[FileVersionOffset] == FileVersion;
}
