using System.Net;
using System.Text.RegularExpressions;

namespace Portal.Bench.Dashboard.Headless;

/// <summary>
/// One signed-in visitor over plain HTTP: its own cookie jar, and the static-rendered account forms posted as a
/// browser posts them (the form's antiforgery token and its <c>_handler</c> name, which Blazor uses to find the form).
/// </summary>
internal sealed partial class PortalSession : IDisposable
{
    private readonly HttpClient _http;

    private PortalSession(Uri address)
    {
        Address = address;
        Cookies = new CookieContainer();
        // Redirects are read, not followed: where the portal sends a sign-in tells whether it worked.
        _http = new HttpClient(new HttpClientHandler { CookieContainer = Cookies, AllowAutoRedirect = false, UseCookies = true })
        {
            BaseAddress = address,
            Timeout = TimeSpan.FromMinutes(3),
        };
    }

    public Uri Address { get; }

    /// <summary>The session and antiforgery cookies; the circuit's connection sends them too.</summary>
    public CookieContainer Cookies { get; }

    /// <summary>Signs in; returns the session and where the portal sent it (<c>/</c>, or the password change page).</summary>
    public static async Task<(PortalSession Session, string Location)> SignInAsync(Uri address, string userName, string password, CancellationToken cancellationToken)
    {
        var session = new PortalSession(address);
        try
        {
            var location = await session.PostFormAsync("/account/login", "login", new()
            {
                ["Input.UserName"] = userName,
                ["Input.Password"] = password,
            }, cancellationToken);
            return (session, location);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>Replaces a one-time password, as the first admin must before any other page opens.</summary>
    public async Task ChangePasswordAsync(string current, string next, CancellationToken cancellationToken)
    {
        var location = await PostFormAsync("/account/change-password", "change-password", new()
        {
            ["Input.CurrentPassword"] = current,
            ["Input.NewPassword"] = next,
            ["Input.ConfirmPassword"] = next,
        }, cancellationToken);
        if (location != "/")
        {
            throw new InvalidOperationException($"Changing the password sent the browser to '{location}', not '/'.");
        }
    }

    /// <summary>The page's HTML, as a signed-in browser gets it.</summary>
    public async Task<string> GetPageAsync(string path, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(new Uri(path, UriKind.Relative), cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"GET {path} answered {(int)response.StatusCode} (location '{response.Headers.Location}').");
        }

        return await response.Content.ReadAsStringAsync(cancellationToken);
    }

    public void Dispose() => _http.Dispose();

    // GET the form first: that sets the antiforgery cookie and gives the token the POST must carry.
    private async Task<string> PostFormAsync(string path, string formName, Dictionary<string, string> fields, CancellationToken cancellationToken)
    {
        var form = await GetPageAsync(path, cancellationToken);
        var token = AntiforgeryField().Match(form) is { Success: true } match
            ? WebUtility.HtmlDecode(match.Groups["token"].Value)
            : throw new InvalidOperationException($"{path} has no antiforgery token.");
        fields["_handler"] = formName;
        fields["__RequestVerificationToken"] = token;
        using var content = new FormUrlEncodedContent(fields);
        using var response = await _http.PostAsync(new Uri(path, UriKind.Relative), content, cancellationToken);
        if (response.StatusCode is not (HttpStatusCode.Redirect or HttpStatusCode.Found or HttpStatusCode.SeeOther) || response.Headers.Location is null)
        {
            throw new InvalidOperationException($"POST {path} answered {(int)response.StatusCode}, not a redirect: the form was refused.");
        }

        var location = response.Headers.Location;
        return location.IsAbsoluteUri ? location.PathAndQuery : location.OriginalString;
    }

    [GeneratedRegex(@"name=""__RequestVerificationToken""[^>]*value=""(?<token>[^""]+)""|value=""(?<token>[^""]+)""[^>]*name=""__RequestVerificationToken""")]
    private static partial Regex AntiforgeryField();
}
