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
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Tag);
        AppendString(hash, state.User.Value ?? string.Empty);
        AppendString(hash, state.ModelKind ?? string.Empty);
        AppendString(hash, state.ModelFingerprint ?? string.Empty);
        AppendFloats(hash, state.Vector.Span);
        AppendFloats(hash, state.Evidence.Span);
        AppendInt(hash, state.EvidenceCount);
        return hash.GetHashAndReset();
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

    private static void AppendInt(IncrementalHash hash, int value)
    {
        Span<byte> bytes = stackalloc byte[sizeof(int)];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
        hash.AppendData(bytes);
    }

    private static void AppendString(IncrementalHash hash, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        AppendInt(hash, bytes.Length);
        hash.AppendData(bytes);
    }

    private static void AppendFloats(IncrementalHash hash, ReadOnlySpan<float> values)
    {
        AppendInt(hash, values.Length);
        if (BitConverter.IsLittleEndian)
        {
            hash.AppendData(MemoryMarshal.AsBytes(values));
            return;
        }

        Span<byte> bytes = stackalloc byte[sizeof(float)];
        foreach (var value in values)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
            hash.AppendData(bytes);
        }
    }
}
