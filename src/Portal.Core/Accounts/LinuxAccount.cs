namespace Portal.Core.Accounts;

/// <summary>An account from the host's user database (passwd, through NSS).</summary>
/// <param name="Name">The account name exactly as the system returns it.</param>
/// <param name="Uid">The numeric user id.</param>
/// <param name="Gid">The primary group id.</param>
/// <param name="Home">The home directory.</param>
public sealed record LinuxAccount(string Name, uint Uid, uint Gid, string Home);
