namespace Pluralistic;

/// <summary>Rewards of M responses for N users, row-major: <c>this[m, n]</c> is response m's reward for user n.</summary>
public sealed class RewardMatrix
{
    private readonly float[] _values;

    /// <summary>Creates the matrix.</summary>
    /// <param name="users">The N users, one per column.</param>
    /// <param name="responseCount">M.</param>
    /// <param name="values">Row-major M x N rewards.</param>
    public RewardMatrix(IReadOnlyList<UserId> users, int responseCount, float[] values)
    {
        ArgumentNullException.ThrowIfNull(users);
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length != users.Count * responseCount)
        {
            throw new ArgumentException($"expected {responseCount} x {users.Count} values, got {values.Length}", nameof(values));
        }

        Users = users;
        ResponseCount = responseCount;
        _values = values;
    }

    /// <summary>The users, one per column.</summary>
    public IReadOnlyList<UserId> Users { get; }

    /// <summary>The number of responses (rows).</summary>
    public int ResponseCount { get; }

    /// <summary>All rewards, row-major (responses x users).</summary>
    public ReadOnlySpan<float> Values => _values;

    /// <summary>Response <paramref name="response"/>'s reward for user <paramref name="user"/>.</summary>
    /// <param name="response">Row.</param>
    /// <param name="user">Column.</param>
    public float this[int response, int user] => _values[(response * Users.Count) + user];

    /// <summary>The rewards of every response for one user (a column).</summary>
    /// <param name="user">Column index.</param>
    /// <returns>M rewards.</returns>
    public float[] ForUser(int user)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(user);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(user, Users.Count);
        var column = new float[ResponseCount];
        for (var m = 0; m < ResponseCount; m++)
        {
            column[m] = _values[(m * Users.Count) + user];
        }

        return column;
    }
}
