namespace Portal.Web.Services.JobForms;

/// <summary>
/// The host folders users may mount into jobs (section "Portal:MountRoots"): each entry a path, with
/// "{home}" standing for the user's own home and a ":ro" suffix for read-only roots. They must agree
/// with the launcher policy's mount roots, which enforce them again as root.
/// </summary>
public sealed class MountRootOptions
{
    public const string SectionName = "Portal:MountRoots";

    public const string HomePlaceholder = "{home}";

    /// <summary>Empty means only the user's home.</summary>
    public IList<string> Roots { get; set; } = [];
}
