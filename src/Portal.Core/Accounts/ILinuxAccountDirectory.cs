namespace Portal.Core.Accounts;

/// <summary>Looks accounts up in the host's user database.</summary>
public interface ILinuxAccountDirectory
{
    /// <summary>Returns the account named <paramref name="name"/>, or null when there is none.</summary>
    Task<LinuxAccount?> FindByNameAsync(string name, CancellationToken cancellationToken);
}
