using System.Globalization;

namespace Portal.Launcher.Protocol;

/// <summary>
/// The job key a request names (the portal's job id in decimal) and the container name podman gets for it. One
/// definition for the portal, which makes keys and names, and the launcher, which checks them.
/// </summary>
public static class JobKeys
{
    /// <summary>The longest key the launcher accepts. A portal key is at most 19 digits.</summary>
    public const int MaxLength = 64;

    /// <summary>Every container of a job is named this plus its key, so podman refuses a second one.</summary>
    public const string ContainerPrefix = "portal-job-";

    /// <summary>Keys of the admin's host check's throwaway containers start with this; they are no job of the portal, so
    /// the job runner must not take one for a stray while the check waits for it to exit.</summary>
    public const string HostCheckPrefix = "hostcheck-";

    /// <summary>The key of the portal's job <paramref name="jobId"/>.</summary>
    public static string Format(long jobId) => jobId.ToString(CultureInfo.InvariantCulture);

    /// <summary>True when <paramref name="key"/> is exactly what <see cref="Format"/> makes of a positive id.</summary>
    public static bool TryParse(string? key, out long jobId) =>
        long.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out jobId) && jobId > 0 && Format(jobId) == key;

    /// <summary>Podman's container name for the job with key <paramref name="key"/>.</summary>
    public static string ContainerName(string key) => ContainerPrefix + key;

    /// <summary>
    /// Null for a key the launcher accepts, else why not: 1 to 64 of [a-z0-9-], not starting with '-'. The key
    /// becomes part of a container name and a label value, so nothing podman could read as an option or a separator.
    /// </summary>
    public static string? Validate(string? key) =>
        string.IsNullOrEmpty(key) || key.Length > MaxLength || key[0] == '-'
        || !key.All(c => char.IsAsciiDigit(c) || char.IsAsciiLetterLower(c) || c == '-')
            ? $"The job id must be 1 to {MaxLength} characters of a-z, 0-9 and '-', not starting with '-'."
            : null;
}
