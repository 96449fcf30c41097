namespace Pluralistic;

/// <summary>The argument checks every persistent store makes before it touches its storage.</summary>
internal static class UserStateArguments
{
    public static void ValidateUser(UserId user, string parameterName = "user")
    {
        if (user.Value is null)
        {
            throw new ArgumentException("The user id is the default (empty) value.", parameterName);
        }
    }

    public static void ValidateState(UserState? state, string parameterName)
    {
        if (state is null)
        {
            throw new ArgumentNullException(parameterName);
        }

        ValidateUser(state.User, parameterName);
        if (state.ModelKind is null || state.ModelFingerprint is null)
        {
            throw new ArgumentException($"The state of user '{state.User}' has no model kind or fingerprint.", parameterName);
        }
    }
}
