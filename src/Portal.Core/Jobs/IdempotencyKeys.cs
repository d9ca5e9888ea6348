namespace Portal.Core.Jobs;

/// <summary>
/// A submitter's key for one submission (the API's <c>Idempotency-Key</c> header, the launch form's hidden field): a
/// retry, a double click or a resubmission after Back that carries the same key gets the job the first one queued,
/// never a second job.
/// </summary>
public static class IdempotencyKeys
{
    /// <summary>The longest key: room for a UUID or a ULID with a prefix, and a bound on what a client stores with us.</summary>
    public const int MaxLength = 100;

    /// <summary>The field an error about the key is reported on.</summary>
    public const string Field = "idempotencyKey";

    /// <summary>Null when <paramref name="key"/> is absent or acceptable (1 to 100 visible ASCII characters), else why not.</summary>
    public static FieldError? Validate(string? key) =>
        key is null || (key.Length is > 0 and <= MaxLength && key.All(c => c is > ' ' and <= '~'))
            ? null
            : new FieldError(Field, $"The idempotency key must be 1 to {MaxLength} visible ASCII characters (no spaces).");
}
