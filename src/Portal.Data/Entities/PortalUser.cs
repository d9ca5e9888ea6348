using Microsoft.AspNetCore.Identity;

namespace Portal.Data.Entities;

/// <summary>
/// A portal account. Each one may be bound to exactly one Linux account: the UID its jobs run as.
/// </summary>
public sealed class PortalUser : IdentityUser<Guid>
{
    public PortalUser(string userName)
        : base(userName)
    {
        Id = Guid.CreateVersion7();
        SecurityStamp = Guid.NewGuid().ToString("N");
    }

    /// <summary>The Linux account this user's jobs run as; null for an admin without jobs.</summary>
    public string? LinuxUserName { get; private set; }

    /// <summary>The UID of <see cref="LinuxUserName"/> when it was bound, to notice a recycled name.</summary>
    public long? LinuxUid { get; private set; }

    /// <summary>A disabled account cannot sign in and its sessions end.</summary>
    public bool IsDisabled { get; private set; }

    /// <summary>Set for one-time passwords (bootstrap, admin reset): the next sign-in must change it.</summary>
    public bool MustChangePassword { get; set; }

    public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;

    public void BindLinuxAccount(string name, long uid)
    {
        LinuxUserName = name;
        LinuxUid = uid;
    }

    public void Disable() => IsDisabled = true;

    public void Enable() => IsDisabled = false;
}
