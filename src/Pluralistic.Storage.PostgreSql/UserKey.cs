using System.Buffers.Binary;

namespace Pluralistic.Storage.PostgreSql;

/// <summary>
/// A user id as the store's key: its UTF-16 code units, big-endian. PostgreSQL orders <c>bytea</c> byte by byte, which
/// for this encoding is .NET's ordinal string order (the order <see cref="IUserStateStore.ListAsync"/> promises), and
/// every .NET string round-trips, lone surrogates and NUL included (text columns refuse both).
/// </summary>
internal static class UserKey
{
    public static byte[] Encode(UserId user)
    {
        var value = user.Value;
        var bytes = new byte[value.Length * sizeof(char)];
        for (var i = 0; i < value.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(i * sizeof(char)), value[i]);
        }

        return bytes;
    }

    public static string Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length % sizeof(char) != 0)
        {
            throw new FormatException($"a user key of {bytes.Length} bytes is not a whole number of UTF-16 code units");
        }

        var chars = new char[bytes.Length / sizeof(char)];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = (char)BinaryPrimitives.ReadUInt16BigEndian(bytes[(i * sizeof(char))..]);
        }

        return new string(chars);
    }
}
