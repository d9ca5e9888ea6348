using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Data;
using Portal.Data.Entities;
using Portal.Web.Configuration;
using Portal.Web.Services.Audit;

namespace Portal.Web.Services.Accounts;

/// <summary>Receives the first admin's one-time password, which is shown exactly once.</summary>
public interface IOneTimeSecretSink
{
    void Show(string userName, string password, string? linuxUserName);
}

/// <summary>Prints the one-time password on the console that started the portal (not into the log).</summary>
internal sealed class ConsoleSecretSink : IOneTimeSecretSink
{
    public void Show(string userName, string password, string? linuxUserName)
    {
        string binding = linuxUserName is null
            ? "not bound to a Linux account (it can manage the portal but not run jobs)"
            : $"bound to the Linux account '{linuxUserName}'";
        Console.Out.WriteLine($"""

            ================================================================
             First admin account created: {userName}, {binding}.
             One-time password: {password}
             It is shown only now; you must change it at first sign-in.
            ================================================================

            """);
    }
}

/// <summary>Creates the roles and, on an empty database, the first admin account. No default password exists.</summary>
internal sealed class FirstRunBootstrap(
    UserManager<PortalUser> userManager,
    RoleManager<IdentityRole<Guid>> roleManager,
    LinuxAccountValidator linuxAccounts,
    IOneTimeSecretSink secretSink,
    AuditLog audit,
    IOptions<PortalOptions> options,
    ILogger<FirstRunBootstrap> logger)
{
    public const string FirstAdminName = "admin";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        foreach (string role in Roles.All)
        {
            if (!await roleManager.RoleExistsAsync(role))
            {
                Check(await roleManager.CreateAsync(new IdentityRole<Guid>(role)), $"create role {role}");
            }
        }

        if (await userManager.Users.AnyAsync(cancellationToken))
        {
            return;
        }

        var admin = new PortalUser(FirstAdminName) { MustChangePassword = true };
        // Single-user mode: the admin is the person who started the portal, and jobs run as them. Otherwise the
        // account the quick start (or an installer) named, if any.
        string? bindTo = HostModes.Detect(options.Value) == HostMode.SingleUser
            ? Environment.UserName
            : string.IsNullOrWhiteSpace(options.Value.FirstAdminLinuxAccount) ? null : options.Value.FirstAdminLinuxAccount.Trim();
        if (bindTo is not null)
        {
            LinuxAccountCheck check = await linuxAccounts.CheckAsync(bindTo, cancellationToken);
            if (check.Account is { } account)
            {
                admin.BindLinuxAccount(account.Name, account.Uid);
            }
            else
            {
                logger.LogWarning("The first admin is not bound to a Linux account: {Reason}", check.Error);
            }
        }

        string password = OneTimePassword.Generate();
        Check(await userManager.CreateAsync(admin, password), "create the first admin");
        Check(await userManager.AddToRolesAsync(admin, Roles.All), "make the first admin an admin");
        await audit.WriteAsync(AuditActions.BootstrapAdmin, AuditActor.System, true, FirstAdminName, admin.LinuxUserName, cancellationToken);
        secretSink.Show(FirstAdminName, password, admin.LinuxUserName);
    }

    private static void Check(IdentityResult result, string what)
    {
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"Could not {what}: {string.Join("; ", result.Errors.Select(e => e.Description))}");
        }
    }
}
