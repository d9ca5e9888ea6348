using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Core.Accounts;
using Portal.Data;
using Portal.Data.Entities;
using Portal.Data.Jobs;
using Portal.Data.Quotas;
using Portal.Jobs;
using Portal.Web.Components;
using Portal.Web.Endpoints;
using Portal.Web.Security;
using Portal.Web.Services.Accounts;
using Portal.Web.Services.Admin;
using Portal.Web.Services.Audit;
using Portal.Web.Services.Database;
using Portal.Web.Services.JobForms;
using Portal.Web.Services.Gpus;
using Portal.Web.Services.Launcher;
using Portal.Web.Services.Metrics;
using Portal.Web.Services.Slurm;

namespace Portal.Web.Configuration;

/// <summary>Registers the portal's services and builds its request pipeline.</summary>
internal static class PortalServices
{
    public static IServiceCollection AddPortal(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<PortalOptions>().Bind(configuration.GetSection(PortalOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<PortalOptions>, PortalOptionsValidator>();

        // First hosted service: the database is up before anything else starts, and stops last.
        services.AddSingleton<DatabaseEndpoint>();
        services.AddHostedService<DatabaseStartup>();
        services.AddSingleton<IDbContextFactory<PortalDbContext>, PortalDbContextFactory>();
        // Identity's stores take a scoped context.
        services.AddScoped(sp => sp.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContext());

        AddKeyRing(services, configuration);
        services.AddHttpContextAccessor();
        services.AddProxyHeaders(configuration);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<JobStore>();
        services.AddSingleton<GpuStore>();
        services.AddSingleton<QuotaStore>();
        services.Configure<MountRootOptions>(configuration.GetSection(MountRootOptions.SectionName));
        services.AddSingleton<MountRootResolver>();
        services.AddSingleton<ILinuxAccountDirectory, GetentLinuxAccountDirectory>();
        services.AddSingleton<IOneTimeSecretSink, ConsoleSecretSink>();
        services.AddSingleton<AuditLog>();
        services.AddScoped<LinuxAccountValidator>();
        services.AddScoped<LoginService>();
        services.AddScoped<UserAdministration>();
        services.AddScoped<FirstRunBootstrap>();

        AddAccounts(services, configuration);
        services.AddLauncher(configuration);
        services.AddPortalHealthChecks();

        services.AddGpuMonitoring(configuration);
        services.AddJobRunner(configuration);
        services.AddClusterMonitoring(configuration);
        services.AddPortalMetrics(configuration);
        services.AddPortalAdministration();
        services.AddPortalApi(configuration);

        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddCascadingAuthenticationState();
        return services;
    }

    public static WebApplication UsePortal(this WebApplication app)
    {
        // First: everything after it sees the client's address and scheme as the proxy reported them.
        app.UseForwardedHeaders();
        if (!app.Environment.IsDevelopment())
        {
            app.UseExceptionHandler("/error/500", createScopeForErrors: true);
        }

        // A fresh scope: the failed request's Blazor services (its NavigationManager) cannot render a second page.
        app.UseStatusCodePagesWithReExecute("/error/{0}", createScopeForStatusCodePages: true);
        app.UseApiProblemResponses();
        app.UseSecurityHeaders();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.UsePasswordChangeGate();
        app.UseAntiforgery();
        app.MapStaticAssets();
        app.MapAccountEndpoints();
        app.MapHealthEndpoints();
        app.MapPortalMetrics();
        app.MapJobLogEndpoints();
        app.MapAccountingEndpoints();
        app.MapPortalApi();
        // Blazor would add its own "frame-ancestors 'self'" policy; ours (no framing at all) is the only one.
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode(o => o.ContentSecurityFrameAncestorsPolicy = null);
        return app;
    }

    /// <summary>
    /// Keeps the keys that protect session and antiforgery cookies in the portal's data folder
    /// (0700), so sessions survive a restart and the service account needs no home directory.
    /// </summary>
    private static void AddKeyRing(IServiceCollection services, IConfiguration configuration)
    {
        var options = new PortalOptions();
        configuration.GetSection(PortalOptions.SectionName).Bind(options);
        var keys = new DirectoryInfo(Path.Combine(PortalPaths.DataDirectory(options), "keys"));
        services.AddDataProtection().SetApplicationName("gpu-box-portal").PersistKeysToFileSystem(keys);
        services.AddSingleton<IStartupFilter>(new PrivateDirectoryStartupFilter(keys.FullName));
    }

    private static void AddAccounts(IServiceCollection services, IConfiguration configuration)
    {
        services.AddIdentity<PortalUser, IdentityRole<Guid>>(options =>
            {
                options.Password.RequiredLength = 12;
                options.Password.RequireNonAlphanumeric = false;
                options.Lockout.MaxFailedAccessAttempts = 5;
                options.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(15);
                options.Lockout.AllowedForNewUsers = true;
                options.User.RequireUniqueEmail = false;
                options.SignIn.RequireConfirmedAccount = false;
            })
            .AddEntityFrameworkStores<PortalDbContext>()
            .AddSignInManager<PortalSignInManager>()
            .AddClaimsPrincipalFactory<PortalClaimsPrincipalFactory>()
            .AddDefaultTokenProviders();

        // Check the security stamp (and the disabled flag) on every request: disabling an account
        // or changing its roles ends its sessions at once, not after the default 30 minutes.
        services.Configure<SecurityStampValidatorOptions>(o => o.ValidationInterval = TimeSpan.Zero);

        bool requireHttps = configuration.GetValue<bool>($"{PortalOptions.SectionName}:{nameof(PortalOptions.RequireHttps)}");
        services.ConfigureApplicationCookie(cookie =>
        {
            cookie.Cookie.Name = "portal.session";
            cookie.Cookie.HttpOnly = true;
            cookie.Cookie.SameSite = SameSiteMode.Strict;
            cookie.Cookie.SecurePolicy = requireHttps ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
            cookie.ExpireTimeSpan = TimeSpan.FromHours(12);
            cookie.SlidingExpiration = true;
            cookie.LoginPath = "/account/login";
            cookie.LogoutPath = "/account/logout";
            // A signed-in user without the role gets a real 403 (rendered by the status page), not a redirect.
            cookie.Events.OnRedirectToAccessDenied = context =>
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                return Task.CompletedTask;
            };
        });
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "portal.antiforgery";
            o.Cookie.SecurePolicy = requireHttps ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
        });
    }
}
