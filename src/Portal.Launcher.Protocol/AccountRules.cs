namespace Portal.Launcher.Protocol;

/// <summary>Which Linux accounts the portal may serve at all: the one list both the launcher and the portal apply.</summary>
public static class AccountRules
{
    /// <summary>
    /// Membership of any of these makes an account root-equivalent, able to read secrets, or the portal itself: such an
    /// account never signs in nor runs jobs (wheel, admin: sudo's group elsewhere; portal: the service account's group).
    /// The launcher policy's <c>privilegedGroups</c> adds to it.
    /// </summary>
    public static readonly IReadOnlyList<string> BuiltInPrivilegedGroups =
        ["root", "sudo", "wheel", "admin", "adm", "docker", "lxd", "incus-admin", "libvirt", "disk", "shadow", "portal"];
}
