namespace Portal.Data.Entities;

/// <summary>One security-relevant event: who did what to whom, when, from where, and whether it worked.</summary>
public sealed class AuditEvent
{
    public AuditEvent(string action, string actorName, bool succeeded)
    {
        Action = action;
        ActorName = actorName;
        Succeeded = succeeded;
    }

    public long Id { get; private set; }

    public DateTimeOffset OccurredAt { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>The acting account, when one is known (a failed login may name no real account).</summary>
    public Guid? ActorId { get; init; }

    /// <summary>The name the actor used, kept even when the account is later renamed or removed.</summary>
    public string ActorName { get; private set; }

    /// <summary>A dotted event name such as <c>login.failure</c> or <c>user.disable</c>.</summary>
    public string Action { get; private set; }

    public string? Target { get; init; }

    public string? Detail { get; init; }

    public string? RemoteAddress { get; init; }

    public bool Succeeded { get; private set; }
}
