using Portal.Launcher.Protocol;

namespace Portal.Launcher.Policy;

/// <summary>The policy's <c>slurm</c> section, checked when the policy is loaded: every problem at once.</summary>
internal static class SlurmPolicyRules
{
    public static void Validate(SlurmPolicy? slurm, List<string> problems)
    {
        if (slurm is null)
        {
            return;
        }

        foreach ((string name, string path) in new[]
        {
            ("sbatch", slurm.Sbatch), ("scancel", slurm.Scancel), ("squeue", slurm.Squeue), ("tail", slurm.Tail),
            ("srun", slurm.Srun), ("nodePodman", slurm.NodePodman),
        })
        {
            if (!IsPlainPath(path))
            {
                problems.Add($"slurm.{name} must be a clean absolute path of letters, digits and /._-");
            }
        }

        if (slurm.NodeBridge is { } bridge && !IsPlainPath(bridge))
        {
            problems.Add("slurm.nodeBridge must be a clean absolute path of letters, digits and /._-");
        }

        if (slurm.Config is { } config && !IsPlainPath(config))
        {
            problems.Add("slurm.config must be a clean absolute path of letters, digits and /._-");
        }

        if (slurm.NodeRuntime is not ("runc" or "crun") && !IsPlainPath(slurm.NodeRuntime))
        {
            problems.Add("slurm.nodeRuntime must be runc, crun or a clean absolute path");
        }

        if (slurm.Cgroups is not ("disabled" or "inherit"))
        {
            problems.Add("slurm.cgroups must be disabled or inherit");
        }
        else if (slurm.DisablesCgroups && !IsCrun(slurm.NodeRuntime))
        {
            // podman refuses it: "requested OCI runtime runc is not compatible with NoCgroups".
            problems.Add("slurm.cgroups disabled needs slurm.nodeRuntime crun (runc cannot run a container without cgroups)");
        }

        if (slurm.GpuDevices is not ("cdi" or "nodes" or "none"))
        {
            problems.Add("slurm.gpuDevices must be cdi, nodes or none");
        }

        foreach (string partition in slurm.Partitions)
        {
            if (!IsPartitionName(partition))
            {
                problems.Add($"slurm.partitions: '{UntrustedText.Printable(partition)}' is not 1 to 64 of A-Z a-z 0-9 _ . -");
            }
        }
    }

    /// <summary>A Slurm partition name as requests and the policy may give it (it ends up in sbatch's argv).</summary>
    public static bool IsPartitionName(string name) =>
        name.Length is > 0 and <= 64 && name[0] != '-' && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-');

    private static bool IsCrun(string runtime) => runtime == "crun" || runtime.EndsWith("/crun", StringComparison.Ordinal);

    /// <summary>Paths that go into the batch script or a tool's argv: nothing a shell or a parser could read twice.</summary>
    private static bool IsPlainPath(string path) =>
        PathRules.IsMountPath(path) && path.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '_' or '-');
}
