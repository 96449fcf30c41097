using System.Text.Json;

namespace Pluralistic.Data;

/// <summary>
/// Writes preference records one at a time as JSONL (one compact object per line, unknown keys preserved), so a
/// producer can stream records to several files at once without holding them.
/// </summary>
public sealed class PreferenceJsonlWriter : IDisposable, IAsyncDisposable
{
    private static readonly byte[] Newline = "\n"u8.ToArray();
    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly Utf8JsonWriter _writer;

    /// <summary>Creates a writer over a stream.</summary>
    /// <param name="stream">The destination.</param>
    /// <param name="leaveOpen">Whether disposing the writer leaves <paramref name="stream"/> open.</param>
    public PreferenceJsonlWriter(Stream stream, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream = stream;
        _leaveOpen = leaveOpen;
        _writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = false, SkipValidation = true });
    }

    /// <summary>How many records were written.</summary>
    public long Count { get; private set; }

    /// <summary>Creates (or overwrites) a file and returns a writer over it.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The writer; dispose it to flush and close the file.</returns>
    public static PreferenceJsonlWriter Create(string path) =>
        new(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 16));

    /// <summary>Writes one record as one line.</summary>
    /// <param name="record">The record.</param>
    public void Write(PreferenceRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        JsonSerializer.Serialize(_writer, record, PreferenceJsonContext.Default.PreferenceRecord);
        _writer.Flush();
        _writer.Reset();
        _stream.Write(Newline);
        Count++;
    }

    /// <summary>Writes one record as one line.</summary>
    /// <param name="record">The record.</param>
    /// <param name="cancellationToken">Cancels writing.</param>
    /// <returns>A task.</returns>
    public async ValueTask WriteAsync(PreferenceRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        JsonSerializer.Serialize(_writer, record, PreferenceJsonContext.Default.PreferenceRecord);
        await _writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        _writer.Reset();
        await _stream.WriteAsync(Newline, cancellationToken).ConfigureAwait(false);
        Count++;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _writer.Dispose();
        _stream.Flush();
        if (!_leaveOpen)
        {
            _stream.Dispose();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _writer.DisposeAsync().ConfigureAwait(false);
        await _stream.FlushAsync().ConfigureAwait(false);
        if (!_leaveOpen)
        {
            await _stream.DisposeAsync().ConfigureAwait(false);
        }
    }
}
