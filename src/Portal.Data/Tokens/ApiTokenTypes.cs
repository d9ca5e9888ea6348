namespace Portal.Data.Tokens;

/// <summary>A token as its owner sees it in the list: never the secret.</summary>
public sealed record ApiTokenInfo(
    long Id,
    string Name,
    string DisplayPrefix,
    IReadOnlyList<string> Scopes,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset? LastUsedAt,
    DateTimeOffset? RevokedAt)
{
    public bool IsActive(DateTimeOffset now) => RevokedAt is null && ExpiresAt > now;
}

/// <summary>A new token: its id and the secret, which exists only in this object and the owner's hands.</summary>
public sealed record CreatedApiToken(long Id, string Secret);

/// <summary>The outcome of a create: the token, or why not (one message per problem).</summary>
public sealed record CreateApiTokenResult(CreatedApiToken? Token, IReadOnlyList<string> Errors);

/// <summary>Who a valid token acts as, read fresh from the database for each request.</summary>
/// <param name="TokenId">The token.</param>
/// <param name="UserId">Its owner.</param>
/// <param name="UserName">The owner's portal name.</param>
/// <param name="LinuxUserName">The owner's Linux account, if bound.</param>
/// <param name="IsAdmin">Whether the owner is an administrator now.</param>
/// <param name="Scopes">The token's scopes.</param>
public sealed record ApiTokenIdentity(
    long TokenId, Guid UserId, string UserName, string? LinuxUserName, bool IsAdmin, IReadOnlyList<string> Scopes);

/// <summary>Why a token was refused; never told to the client beyond "invalid token", but logged.</summary>
public enum ApiTokenRefusal
{
    None,
    Unknown,
    Revoked,
    Expired,
    UserDisabled,
}
