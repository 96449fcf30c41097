using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace Pluralistic;

/// <summary>
/// The integrity checksum stores keep beside every user state and verify on every read: SHA-256 over the user id,
/// the model kind, the model fingerprint, the state vector, the evidence and its pair count. A state whose stored
/// bytes no longer match its checksum (a disk or copy fault, a hand edit, a bug in another writer) is refused with a
/// <see cref="UserStateIntegrityException"/> instead of silently scoring with a different state.
/// </summary>
/// <remarks>
/// Counters and times (<see cref="UserState.PairCount"/>, <see cref="UserState.Revision"/>, the dates) are not covered:
/// they do not change a reward. The layout is fixed (a version tag, then each field length-prefixed, floats as
/// little-endian float32): changing it is a store format change.
/// </remarks>
public static class UserStateChecksum
{
    /// <summary>The length of a checksum in bytes.</summary>
    public const int Length = 32;

    private static readonly byte[] Tag = "pluralistic/user-state-checksum/v1"u8.ToArray();

    /// <summary>Computes the checksum of a state.</summary>
    /// <param name="state">The state.</param>
    /// <returns><see cref="Length"/> bytes.</returns>
    public static byte[] Compute(UserState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var user = state.User.Value ?? string.Empty;
        var kind = state.ModelKind ?? string.Empty;
        var fingerprint = state.ModelFingerprint ?? string.Empty;
        var vector = state.Vector.Span;
        var evidence = state.Evidence.Span;

        // One buffer and one hash call: the tag, then each field length-prefixed (int32 little-endian).
        var length = Tag.Length + (6 * sizeof(int))
            + Encoding.UTF8.GetByteCount(user) + Encoding.UTF8.GetByteCount(kind) + Encoding.UTF8.GetByteCount(fingerprint)
            + ((vector.Length + evidence.Length) * sizeof(float));
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var buffer = rented.AsSpan(0, length);
            Tag.CopyTo(buffer);
            var at = Tag.Length;
            at = WriteString(buffer, at, user);
            at = WriteString(buffer, at, kind);
            at = WriteString(buffer, at, fingerprint);
            at = WriteFloats(buffer, at, vector);
            at = WriteFloats(buffer, at, evidence);
            BinaryPrimitives.WriteInt32LittleEndian(buffer[at..], state.EvidenceCount);
            return SHA256.HashData(buffer);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Whether <paramref name="checksum"/> is the checksum of <paramref name="state"/>.</summary>
    /// <param name="state">The state as read.</param>
    /// <param name="checksum">The checksum stored with it.</param>
    /// <returns>Whether they match.</returns>
    public static bool Matches(UserState state, ReadOnlySpan<byte> checksum) =>
        checksum.Length == Length && CryptographicOperations.FixedTimeEquals(Compute(state), checksum);

    /// <summary>Throws a <see cref="UserStateIntegrityException"/> when the checksum does not match the state.</summary>
    /// <param name="state">The state as read.</param>
    /// <param name="checksum">The checksum stored with it.</param>
    /// <param name="store">The store, for the message (a path, a table).</param>
    /// <exception cref="UserStateIntegrityException">The state does not match its checksum.</exception>
    public static void Verify(UserState state, ReadOnlySpan<byte> checksum, string store)
    {
        if (!Matches(state, checksum))
        {
            throw new UserStateIntegrityException(state.User, store);
        }
    }

    private static int WriteString(Span<byte> buffer, int at, string value)
    {
        var written = Encoding.UTF8.GetBytes(value, buffer[(at + sizeof(int))..]);
        BinaryPrimitives.WriteInt32LittleEndian(buffer[at..], written);
        return at + sizeof(int) + written;
    }

    private static int WriteFloats(Span<byte> buffer, int at, ReadOnlySpan<float> values)
    {
        BinaryPrimitives.WriteInt32LittleEndian(buffer[at..], values.Length);
        at += sizeof(int);
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(values).CopyTo(buffer[at..]);
        }
        else
        {
            for (var i = 0; i < values.Length; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(buffer[(at + (i * sizeof(float)))..], values[i]);
            }
        }

        return at + (values.Length * sizeof(float));
    }
}
