namespace Portal.Data.Entities.Tokens;

/// <summary>
/// A personal access token. Only the SHA-256 of the secret is kept: the secret itself is shown once, at creation,
/// and cannot be read back from the database.
/// </summary>
public sealed class ApiTokenRecord
{
    public ApiTokenRecord(Guid userId, string name, byte[] secretHash, string displayPrefix, IReadOnlyList<string> scopes, DateTimeOffset createdAt, DateTimeOffset expiresAt)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(secretHash);
        ArgumentNullException.ThrowIfNull(scopes);
        if (expiresAt <= createdAt)
        {
            throw new ArgumentOutOfRangeException(nameof(expiresAt), "A token must expire after it is created.");
        }

        UserId = userId;
        Name = name;
        SecretHash = secretHash;
        DisplayPrefix = displayPrefix;
        Scopes = [.. scopes];
        CreatedAt = createdAt;
        ExpiresAt = expiresAt;
    }

    // For EF Core.
    private ApiTokenRecord()
    {
        Name = "";
        SecretHash = [];
        DisplayPrefix = "";
        Scopes = [];
    }

    public long Id { get; private set; }

    /// <summary>The portal account the token acts as.</summary>
    public Guid UserId { get; private set; }

    /// <summary>The owner's label, e.g. "laptop" or "training notebook".</summary>
    public string Name { get; private set; }

    /// <summary>SHA-256 of the whole token string.</summary>
    public byte[] SecretHash { get; private set; }

    /// <summary>The token's first characters, to recognise it in the list (not enough to guess the rest).</summary>
    public string DisplayPrefix { get; private set; }

    public string[] Scopes { get; private set; }

    public DateTimeOffset CreatedAt { get; private set; }

    public DateTimeOffset ExpiresAt { get; private set; }

    /// <summary>When it last authenticated a request, to the minute.</summary>
    public DateTimeOffset? LastUsedAt { get; private set; }

    public DateTimeOffset? RevokedAt { get; private set; }

    public void Revoke(DateTimeOffset at) => RevokedAt ??= at;
}
