namespace Portal.Web.Services.Gpus;

/// <summary>What the portal does about processes computing on GPUs outside any allocation, section
/// <c>Portal:Gpus:ForeignProcesses</c>. Each case is always audited and told to the administrators.</summary>
public sealed class ForeignGpuProcessOptions
{
    public const string SectionName = "Portal:Gpus:ForeignProcesses";

    /// <summary>
    /// Ask the launcher to end each new case (as its owner, SIGTERM then SIGKILL). Takes effect only while the launcher's
    /// policy allows it too (<c>killGpuProcesses</c>, read from its self-test before each round): either side can say no.
    /// </summary>
    public bool Kill { get; set; }
}
