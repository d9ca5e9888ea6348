using System.Net;
using System.Text.RegularExpressions;

namespace Portal.Web.Tests.Infrastructure;

/// <summary>A browser-like HTTP client: keeps cookies, does not follow redirects, posts forms with their antiforgery token.</summary>
public sealed partial class PortalClient(HttpClient http) : IDisposable
{
    public HttpClient Http => http;

    public async Task<string> GetAntiforgeryTokenAsync(string path)
    {
        string html = await http.GetStringAsync(path);
        Match match = TokenPattern().Match(html);
        if (!match.Success)
        {
            throw new InvalidOperationException($"No antiforgery token on {path}.");
        }

        return WebUtility.HtmlDecode(match.Groups[1].Value);
    }

    /// <summary>Posts a form the way the page would: with its handler name and, unless told not to, the token.</summary>
    public async Task<HttpResponseMessage> PostFormAsync(
        string path, string? formName, IEnumerable<KeyValuePair<string, string>> fields, bool withToken = true, string? tokenFrom = null)
    {
        var values = new List<KeyValuePair<string, string>>(fields);
        if (formName is not null)
        {
            values.Add(new("_handler", formName));
        }

        if (withToken)
        {
            values.Add(new("__RequestVerificationToken", await GetAntiforgeryTokenAsync(tokenFrom ?? path)));
        }

        using var content = new FormUrlEncodedContent(values);
        return await http.PostAsync(path, content);
    }

    public Task<HttpResponseMessage> LoginAsync(string userName, string password, bool withToken = true) =>
        PostFormAsync("/account/login", "login", [new("Input.UserName", userName), new("Input.Password", password)], withToken);

    public async Task<string> PageAsync(string path)
    {
        using HttpResponseMessage response = await http.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    public void Dispose() => http.Dispose();

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();
}

/// <summary>Reading redirects the way a browser would.</summary>
public static class RedirectExtensions
{
    /// <summary>The path and query a redirect points to, whether the Location is absolute or relative.</summary>
    public static string? RedirectPath(this HttpResponseMessage response)
    {
        Uri? location = response.Headers.Location;
        return location is null ? null : location.IsAbsoluteUri ? location.PathAndQuery : location.OriginalString;
    }
}
