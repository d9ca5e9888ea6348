using Microsoft.Extensions.Options;
using MimeKit;

namespace Portal.Web.Services.Notifications;

/// <summary>Lists every problem in the "Portal:Notifications" section at once, at start.</summary>
internal sealed class NotificationOptionsValidator : IValidateOptions<NotificationOptions>
{
    public ValidateOptionsResult Validate(string? name, NotificationOptions options)
    {
        var failures = new List<string>();
        const string S = NotificationOptions.SectionName;
        if (options.PollInterval < TimeSpan.FromMilliseconds(50) || options.PollInterval > TimeSpan.FromMinutes(10))
        {
            failures.Add($"{S}:PollInterval is {options.PollInterval}; it must be between 00:00:00.05 and 00:10:00.");
        }

        if (options.MaxAttempts is < 1 or > 50)
        {
            failures.Add($"{S}:MaxAttempts is {options.MaxAttempts}; it must be between 1 and 50.");
        }

        if (options.FirstRetryDelay < TimeSpan.FromMilliseconds(10) || options.MaxRetryDelay < options.FirstRetryDelay
            || options.MaxRetryDelay > TimeSpan.FromDays(1))
        {
            failures.Add($"{S}:FirstRetryDelay ({options.FirstRetryDelay}) must be at least 00:00:00.01 and at most {S}:MaxRetryDelay ({options.MaxRetryDelay}), which is at most one day.");
        }

        if (options.SendTimeout < TimeSpan.FromSeconds(1) || options.SendTimeout > TimeSpan.FromMinutes(5))
        {
            failures.Add($"{S}:SendTimeout is {options.SendTimeout}; it must be between 00:00:01 and 00:05:00.");
        }

        if (options.PublicUrl is { Length: > 0 } url
            && (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
        {
            failures.Add($"{S}:PublicUrl '{url}' must be an absolute http or https address.");
        }

        ValidateSmtp(options.Smtp, failures);
        foreach (var network in options.Webhooks.AllowedPrivateNetworks)
        {
            if (!System.Net.IPNetwork.TryParse(network, out _) && !System.Net.IPAddress.TryParse(network, out _))
            {
                failures.Add($"{S}:Webhooks:AllowedPrivateNetworks entry '{network}' is neither an IP address nor a CIDR range.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateSmtp(SmtpOptions smtp, List<string> failures)
    {
        const string S = NotificationOptions.SectionName + ":Smtp";
        if (!smtp.Enabled)
        {
            return;
        }

        if (smtp.Port is < 1 or > 65535)
        {
            failures.Add($"{S}:Port is {smtp.Port}; it must be between 1 and 65535.");
        }

        if (string.IsNullOrWhiteSpace(smtp.From) || !MailboxAddress.TryParse(smtp.From, out _))
        {
            failures.Add($"{S}:From must be the sender's address (e.g. 'GPU portal <gpu-portal@example.org>') when {S}:Host is set.");
        }

        if (string.IsNullOrEmpty(smtp.UserName) != string.IsNullOrEmpty(smtp.Password))
        {
            failures.Add($"{S}:UserName and {S}:Password go together: set both to sign in to the server, or neither.");
        }

        if (!Enum.IsDefined(smtp.Security))
        {
            failures.Add($"{S}:Security must be StartTls, Tls or None.");
        }
    }
}
