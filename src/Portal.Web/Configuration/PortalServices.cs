using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Portal.Core.Accounts;
using Portal.Data;
using Portal.Data.Entities;
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
using Portal.Web.Services.Images;
using Portal.Web.Services.Launcher;
using Portal.Web.Services.Metrics;
using Portal.Web.Services.Notifications;
using Portal.Web.Services.Revocation;
using Portal.Web.Services.Sessions;
using Portal.Web.Services.SignIn;
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
        services.AddPortalStores();
        services.Configure<MountRootOptions>(configuration.GetSection(MountRootOptions.SectionName));
        services.AddSingleton<MountRootResolver>();
        services.AddSingleton<ILinuxAccountDirectory, GetentLinuxAccountDirectory>();
        services.AddSingleton<IOneTimeSecretSink, ConsoleSecretSink>();
        services.AddSingleton<AuditLog>();
        services.AddSingleton<Portal.Web.Services.Presets.PresetEditor>();
        services.AddSingleton<Portal.Web.Services.Bookings.BookingEditor>();
        services.AddOptions<Portal.Web.Services.Bookings.BookingOptions>()
            .Bind(configuration.GetSection(Portal.Web.Services.Bookings.BookingOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<Portal.Web.Services.Bookings.BookingOptions>, Portal.Web.Services.Bookings.BookingOptionsValidator>();
        services.AddSingleton<Portal.Web.Services.Bookings.BookingStartingNotifier>();
        services.AddHostedService(sp => sp.GetRequiredService<Portal.Web.Services.Bookings.BookingStartingNotifier>());
        services.AddScoped<LinuxAccountValidator>();
        services.AddScoped<LoginService>();
        services.AddScoped<SecondFactorRequirement>();
        services.AddSignIn(configuration);
        services.AddScoped<UserAdministration>();
        services.AddScoped<FirstRunBootstrap>();

        AddAccounts(services, configuration);
        services.AddLauncher(configuration);
        services.AddImageBuilds(configuration);
        services.AddImages(configuration);
        services.AddPortalHealthChecks();

        services.AddGpuMonitoring(configuration);
        services.AddJobRunner(configuration);
        services.AddClusterMonitoring(configuration);
        services.AddPortalMetrics(configuration);
        services.AddPortalAdministration();
        services.AddPortalApi(configuration);
        services.AddSessionProxy(configuration);
        services.AddNotifications(configuration);

        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddCascadingAuthenticationState();
        services.AddSessionRevocation();
        return services;
    }

    public static WebApplication UsePortal(this WebApplication app)
    {
        // First: everything after it sees the client's address and scheme as the proxy reported them.
        app.UseProxyHeaders(app.Configuration);
        if (!app.Environment.IsDevelopment())
        {
            app.UseExceptionHandler("/error/500", createScopeForErrors: true);
        }

        // A fresh scope: the failed request's Blazor services (its NavigationManager) cannot render a second page.
        app.UseStatusCodePagesWithReExecute("/error/{0}", createScopeForStatusCodePages: true);
        app.UseApiProblemResponses();
        app.UseSecurityHeaders();
        app.UseSessionOriginSplit();
        app.UseSessionRequestClock();
        app.UseAuthentication();
        app.UseAuthorization();
        // After authorization: an API token is authenticated by the endpoint's own scheme there, not by the default one.
        app.UseRevokedRequestAbort();
        app.UseRateLimiter();
        app.UsePasswordChangeGate();
        app.UseSecondFactorEnrollmentGate();
        app.UseAntiforgery();
        app.MapStaticAssets();
        app.MapAccountEndpoints();
        app.MapSignInEndpoints();
        app.MapHealthEndpoints();
        app.MapPortalMetrics();
        app.MapJobLogEndpoints();
        app.MapAppExport();
        app.MapAccountingEndpoints();
        app.MapPortalApi();
        app.MapSessionProxy();
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

    /// <summary>OpenID Connect, only when Portal:Oidc:Authority is set: code flow with PKCE into Identity's external cookie.</summary>
    private static void AddSingleSignOn(IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SingleSignOnOptions>().Bind(configuration.GetSection(SingleSignOnOptions.SectionName));
        services.AddScoped<LinuxAccountEligibility>();
        var sso = new SingleSignOnOptions();
        configuration.GetSection(SingleSignOnOptions.SectionName).Bind(sso);
        if (!sso.Enabled)
        {
            return;
        }

        services.AddAuthentication().AddOpenIdConnect(SingleSignOnOptions.Scheme, sso.DisplayName, o =>
        {
            o.SignInScheme = IdentityConstants.ExternalScheme;
            o.Authority = sso.Authority;
            o.ClientId = sso.ClientId;
            o.ClientSecret = string.IsNullOrEmpty(sso.ClientSecret) ? null : sso.ClientSecret;
            o.ResponseType = "code";
            o.UsePkce = true;
            // The code comes back on a plain redirect (a GET): a cross-site form post would need SameSite=None cookies.
            o.ResponseMode = "query";
            // So the correlation and nonce cookies can be Lax, and plain http on a LAN works as https does: a
            // top-level GET carries Lax cookies, while SameSite=None would demand Secure ones.
            o.CorrelationCookie.SameSite = SameSiteMode.Lax;
            o.CorrelationCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.NonceCookie.SameSite = SameSiteMode.Lax;
            o.NonceCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.RequireHttpsMetadata = sso.RequireHttpsMetadata;
            o.CallbackPath = "/account/sso/callback";
            o.Scope.Clear();
            o.Scope.Add("openid");
            o.Scope.Add("profile");
            o.Scope.Add("email");
            o.GetClaimsFromUserInfoEndpoint = true;
            // Claims keep the provider's names (sub, preferred_username), which is what Portal:Oidc:UserNameClaim names.
            o.MapInboundClaims = false;
            o.TokenValidationParameters.NameClaimType = "sub";
            o.SaveTokens = false;
            // Identity finds the external account by NameIdentifier: the provider's subject, which never changes.
            o.Events.OnTokenValidated = context =>
            {
                if (context.Principal?.Identity is System.Security.Claims.ClaimsIdentity identity
                    && identity.FindFirst("sub") is { } subject && identity.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier) is null)
                {
                    identity.AddClaim(new System.Security.Claims.Claim(System.Security.Claims.ClaimTypes.NameIdentifier, subject.Value));
                }

                return Task.CompletedTask;
            };
        });
    }

    private static void AddAccounts(IServiceCollection services, IConfiguration configuration)
    {
        services.AddIdentity<PortalUser, IdentityRole<Guid>>(options =>
            {
                options.Password.RequiredLength = 12;
                options.Password.RequireNonAlphanumeric = false;
                // Counts wrong second factors only: wrong passwords go to the per-address throttle (SignInThrottle), so
                // that nobody can lock an account from afar.
                options.Lockout.MaxFailedAccessAttempts = 5;
                options.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(15);
                options.Lockout.AllowedForNewUsers = true;
                options.Stores.SchemaVersion = IdentitySchemaVersions.Version3;
                options.User.RequireUniqueEmail = false;
                options.SignIn.RequireConfirmedAccount = false;
            })
            .AddEntityFrameworkStores<PortalDbContext>()
            .AddSignInManager<PortalSignInManager>()
            .AddClaimsPrincipalFactory<PortalClaimsPrincipalFactory>()
            .AddDefaultTokenProviders();

        AddSingleSignOn(services, configuration);

        // The page's form post carries "Origin: null" (the portal's Referrer-Policy is no-referrer), so the passkey's
        // origin is held to the portal's own: same scheme and host as the request, and never a cross-origin frame.
        services.Configure<IdentityPasskeyOptions>(o => o.ValidateOrigin = context => ValueTask.FromResult(
            !context.CrossOrigin
            && Uri.TryCreate(context.Origin, UriKind.Absolute, out Uri? origin)
            && string.Equals(origin.GetLeftPart(UriPartial.Authority),
                $"{context.HttpContext.Request.Scheme}://{context.HttpContext.Request.Host}", StringComparison.OrdinalIgnoreCase)));

        // Check the security stamp (and the disabled flag) on every request: disabling an account
        // or changing its roles ends its sessions at once, not after the default 30 minutes.
        services.Configure<SecurityStampValidatorOptions>(o => o.ValidationInterval = TimeSpan.Zero);
        services.Replace(ServiceDescriptor.Scoped<ISecurityStampValidator, PerRequestSecurityStampValidator>());

        bool requireHttps = configuration.GetValue<bool>($"{PortalOptions.SectionName}:{nameof(PortalOptions.RequireHttps)}");
        services.ConfigureApplicationCookie(cookie =>
        {
            cookie.Cookie.Name = "portal.session";
            cookie.Cookie.HttpOnly = true;
            // Lax, not Strict: a job link pasted into chat or mail is a cross-site top-level GET, and with Strict it landed
            // on the sign-in page although the user was signed in. Lax still keeps the cookie off every cross-site POST,
            // frame, script, fetch and WebSocket; what changes state is a POST with an antiforgery token, a Blazor circuit
            // (a same-origin WebSocket) or the API, which takes bearer tokens only, and no GET changes anything.
            cookie.Cookie.SameSite = SameSiteMode.Lax;
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
