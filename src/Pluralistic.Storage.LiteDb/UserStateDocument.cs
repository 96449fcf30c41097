using LiteDB;

namespace Pluralistic.Storage.LiteDb;

/// <summary>
/// The on-disk layout of one user state. Field names are part of the file format: renaming one is a format change.
/// Mapped by hand rather than through a <see cref="BsonMapper"/> so the layout is explicit and independent of
/// mapper conventions.
/// </summary>
internal static class UserStateDocument
{
    private const string IdField = "_id";
    private const string KindField = "kind";
    private const string FingerprintField = "fingerprint";
    private const string SchemaField = "schema";
    private const string VectorField = "vector";
    private const string EvidenceField = "evidence";
    private const string EvidenceCountField = "evidenceCount";
    private const string PairCountField = "pairCount";
    private const string RevisionField = "revision";

    // SHA-256 of the state's content (UserStateChecksum), verified on every read. Documents written before the field
    // existed have none and are read unverified (legacy); the next write of the user adds it. Readers that predate
    // the field ignore it, so adding it is no format change.
    private const string ChecksumField = "checksum";

    // Dates are stored as UTC ticks (Int64), not BSON dates: BSON dates keep milliseconds only and LiteDB reads them
    // back in local time unless the UTC_DATE pragma is set, while ticks round-trip exactly and need no pragma.
    private const string CreatedField = "createdUtcTicks";
    private const string UpdatedField = "updatedUtcTicks";

    /// <summary>Maps a state to its document.</summary>
    public static BsonDocument ToDocument(UserState state) => new()
    {
        [ChecksumField] = UserStateChecksum.Compute(state),
        [IdField] = state.User.Value,
        [KindField] = state.ModelKind,
        [FingerprintField] = state.ModelFingerprint,
        [SchemaField] = state.SchemaVersion,
        [VectorField] = ToBytes(state.Vector.Span),
        [EvidenceField] = ToBytes(state.Evidence.Span),
        [EvidenceCountField] = state.EvidenceCount,
        [PairCountField] = state.PairCount,
        [RevisionField] = state.Revision,
        [CreatedField] = state.CreatedUtc.UtcTicks,
        [UpdatedField] = state.UpdatedUtc.UtcTicks,
    };

    /// <summary>Maps a document back to a state.</summary>
    /// <exception cref="UserStateStoreException">The document is not a well-formed user state.</exception>
    /// <exception cref="UserStateIntegrityException">The document does not match its checksum.</exception>
    public static UserState ToState(BsonDocument document, string storePath)
    {
        var state = ReadFields(document, storePath);
        if (document.TryGetValue(ChecksumField, out var checksum))
        {
            if (!checksum.IsBinary)
            {
                throw Malformed(storePath, state.User.Value, $"field '{ChecksumField}' is not Binary");
            }

            UserStateChecksum.Verify(state, checksum.AsBinary, storePath);
        }

        return state;
    }

    private static UserState ReadFields(BsonDocument document, string storePath)
    {
        var id = Field(document, IdField, BsonType.String, storePath).AsString;
        if (UserId.Validate(id) is { } problem)
        {
            throw Malformed(storePath, id, problem);
        }

        return new UserState
        {
            User = new UserId(id),
            ModelKind = Field(document, KindField, BsonType.String, storePath).AsString,
            ModelFingerprint = Field(document, FingerprintField, BsonType.String, storePath).AsString,
            SchemaVersion = Field(document, SchemaField, BsonType.Int32, storePath).AsInt32,
            Vector = ToFloats(Field(document, VectorField, BsonType.Binary, storePath).AsBinary, id, storePath),
            Evidence = ToFloats(Field(document, EvidenceField, BsonType.Binary, storePath).AsBinary, id, storePath),
            EvidenceCount = Field(document, EvidenceCountField, BsonType.Int32, storePath).AsInt32,
            PairCount = Field(document, PairCountField, BsonType.Int32, storePath).AsInt32,
            Revision = Field(document, RevisionField, BsonType.Int64, storePath).AsInt64,
            CreatedUtc = ToUtc(Field(document, CreatedField, BsonType.Int64, storePath).AsInt64, id, storePath),
            UpdatedUtc = ToUtc(Field(document, UpdatedField, BsonType.Int64, storePath).AsInt64, id, storePath),
        };
    }

    private static BsonValue Field(BsonDocument document, string name, BsonType type, string storePath)
    {
        if (document.TryGetValue(name, out var value) && value.Type == type)
        {
            return value;
        }

        var id = document.TryGetValue(IdField, out var key) ? key.ToString() : "?";
        throw Malformed(storePath, id, $"field '{name}' is missing or not {type}");
    }

    private static byte[] ToBytes(ReadOnlySpan<float> values) => FloatBytes.ToBytes(values);

    private static float[] ToFloats(byte[] bytes, string id, string storePath)
    {
        try
        {
            return FloatBytes.ToFloats(bytes);
        }
        catch (FormatException e)
        {
            throw Malformed(storePath, id, e.Message);
        }
    }

    private static DateTimeOffset ToUtc(long ticks, string id, string storePath) =>
        ticks >= DateTime.MinValue.Ticks && ticks <= DateTime.MaxValue.Ticks
            ? new DateTimeOffset(ticks, TimeSpan.Zero)
            : throw Malformed(storePath, id, $"{ticks} is not a valid UTC tick count");

    private static UserStateStoreException Malformed(string storePath, string id, string problem) =>
        new($"The user state store '{storePath}' is corrupt: the state of user '{id}' is malformed ({problem}).");
}
