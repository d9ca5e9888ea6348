using Microsoft.EntityFrameworkCore;

namespace Portal.Data.Accounts;

/// <summary>A portal account as the admin pages and the API list it.</summary>
/// <param name="Id">The account.</param>
/// <param name="UserName">Its sign-in name.</param>
/// <param name="LinuxUserName">The Linux account its jobs run as; null while unbound.</param>
/// <param name="LinuxUid">That account's uid when it was bound.</param>
/// <param name="IsAdmin">Whether it has the admin role.</param>
/// <param name="IsDisabled">Whether an administrator disabled it.</param>
/// <param name="LockoutEnd">Until when failed sign-ins locked it out, if they did.</param>
/// <param name="CreatedAt">When it was made.</param>
/// <param name="HasPortalPassword">Whether it has a portal password (without one it signs in with its Linux password or
/// single sign-on, and there is no portal password to reset).</param>
/// <param name="HasSingleSignOn">Whether an identity provider's subject is bound to it.</param>
public sealed record UserSummary(
    Guid Id,
    string UserName,
    string? LinuxUserName,
    long? LinuxUid,
    bool IsAdmin,
    bool IsDisabled,
    DateTimeOffset? LockoutEnd,
    DateTimeOffset CreatedAt,
    bool HasPortalPassword,
    bool HasSingleSignOn);

/// <summary>An account's id and name, for pickers and for naming owners.</summary>
public sealed record UserRef(Guid Id, string Name);

/// <summary>
/// Reads portal accounts for pages, the API and the job host (changes go through ASP.NET Core Identity's
/// <c>UserManager</c>). Each call is one short-lived context, like the other stores.
/// </summary>
public sealed class UserStore(IDbContextFactory<PortalDbContext> contextFactory)
{
    /// <summary>Every account, by name.</summary>
    public async Task<IReadOnlyList<UserSummary>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        return await Summaries(db, db.Users.OrderBy(u => u.UserName)).ToListAsync(cancellationToken);
    }

    /// <summary>One account, or null when there is none.</summary>
    public async Task<UserSummary?> FindAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        return await Summaries(db, db.Users.Where(u => u.Id == id)).SingleOrDefaultAsync(cancellationToken);
    }

    /// <summary>The account's sign-in name, or null when there is no such account.</summary>
    public async Task<string?> NameAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        return await db.Users.AsNoTracking().Where(u => u.Id == id).Select(u => u.UserName).SingleOrDefaultAsync(cancellationToken);
    }

    /// <summary>Whether the account exists.</summary>
    public async Task<bool> ExistsAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        return await db.Users.AnyAsync(u => u.Id == id, cancellationToken);
    }

    /// <summary>Accounts by name, each with its id.</summary>
    /// <param name="withLinuxAccountOnly">Only accounts bound to a Linux account (those that can own jobs).</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public async Task<IReadOnlyList<UserRef>> NamesAsync(bool withLinuxAccountOnly = false, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var users = db.Users.AsNoTracking();
        if (withLinuxAccountOnly)
        {
            users = users.Where(u => u.LinuxUserName != null);
        }

        return await users.OrderBy(u => u.UserName).Select(u => new UserRef(u.Id, u.UserName ?? "?")).ToListAsync(cancellationToken);
    }

    /// <summary>The Linux accounts bound to portal accounts, disabled accounts included (their containers still need
    /// looking after).</summary>
    public async Task<IReadOnlyList<string>> LinuxAccountNamesAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        return await db.Users.AsNoTracking().Where(u => u.LinuxUserName != null)
            .Select(u => u.LinuxUserName!).ToListAsync(cancellationToken);
    }

    /// <summary>Filters and order go on the entities, before the projection: EF cannot translate them after it.</summary>
    private static IQueryable<UserSummary> Summaries(PortalDbContext db, IQueryable<Entities.PortalUser> users) =>
        users.AsNoTracking().Select(u => new UserSummary(
            u.Id, u.UserName ?? "", u.LinuxUserName, u.LinuxUid,
            db.UserRoles.Any(ur => ur.UserId == u.Id && db.Roles.Any(r => r.Id == ur.RoleId && r.Name == Roles.Admin)),
            u.IsDisabled, u.LockoutEnd, u.CreatedAt,
            u.PasswordHash != null,
            db.UserLogins.Any(l => l.UserId == u.Id)));
}
