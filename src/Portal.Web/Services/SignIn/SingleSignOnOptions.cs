namespace Portal.Web.Services.SignIn;

/// <summary>
/// Single sign-on through an OpenID Connect provider (section "Portal:Oidc"): off unless <see cref="Authority"/> is set.
/// Authorization code flow with PKCE. A person is known by the provider's subject; at their first sign-in the
/// <see cref="UserNameClaim"/> names the Linux account their portal account is bound to.
/// </summary>
public sealed class SingleSignOnOptions
{
    public const string SectionName = "Portal:Oidc";
    public const string Scheme = "oidc";

    /// <summary>The provider's issuer URL (its discovery document is read from there). Empty: single sign-on is off.</summary>
    public string Authority { get; set; } = "";

    public string ClientId { get; set; } = "";

    /// <summary>For a confidential client; empty for a public one (PKCE alone).</summary>
    public string ClientSecret { get; set; } = "";

    /// <summary>What the sign-in page's button says.</summary>
    public string DisplayName { get; set; } = "Single sign-on";

    /// <summary>The claim that names the Linux account, e.g. preferred_username, or email with <see cref="UserNameSuffix"/>.</summary>
    public string UserNameClaim { get; set; } = "preferred_username";

    /// <summary>Stripped from the end of the claim's value (e.g. "@lab.example.org"); a value without it maps to nothing.</summary>
    public string UserNameSuffix { get; set; } = "";

    /// <summary>The launcher policy's group: only its members may be bound by a claim. Keep in step with the policy.</summary>
    public string JobGroup { get; set; } = "portal-users";

    /// <summary>Groups beyond the built-in privileged ones whose members are refused; keep in step with the policy's privilegedGroups.</summary>
    public IList<string> PrivilegedGroups { get; } = [];

    /// <summary>Off only for a provider on loopback in tests; discovery and tokens need HTTPS otherwise.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    public bool Enabled => !string.IsNullOrWhiteSpace(Authority);
}
