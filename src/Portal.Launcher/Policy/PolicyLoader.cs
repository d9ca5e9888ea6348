using System.Text.Json;
using Portal.Launcher.Native;

namespace Portal.Launcher.Policy;

/// <summary>Finds, safety-checks and parses the policy file.</summary>
internal static class PolicyLoader
{
    /// <summary>Only honoured in dev mode: a privileged launcher never lets its caller choose the policy.</summary>
    public const string DevOverrideVariable = "PORTAL_LAUNCHER_POLICY";

    public static string PathFor(bool privileged)
    {
        if (!privileged)
        {
            string? overridden = Environment.GetEnvironmentVariable(DevOverrideVariable);
            if (!string.IsNullOrEmpty(overridden))
            {
                return overridden;
            }
        }

        return BuildConstants.PolicyPath;
    }

    /// <summary>Loads the policy; <paramref name="trustedOwner"/> is root, or the caller in dev mode.</summary>
    public static LauncherPolicy Load(string path, uint trustedOwner)
    {
        byte[] bytes = SafeFiles.ReadTrusted(path, trustedOwner, 256 * 1024);
        LauncherPolicy policy;
        try
        {
            policy = PolicyReader.Parse(bytes);
        }
        catch (JsonException e)
        {
            throw new PolicyException($"{path}: {e.Message}");
        }

        Validate(policy, path);
        return policy;
    }

    private static void Validate(LauncherPolicy p, string path)
    {
        List<string> problems = [];
        if (p.Version != 1)
        {
            problems.Add("version must be 1");
        }

        if (p.MinUid < 1)
        {
            problems.Add("minUid must be at least 1");
        }

        if (!Path.IsPathFullyQualified(p.Podman))
        {
            problems.Add("podman must be an absolute path");
        }

        if (!Path.IsPathFullyQualified(p.AuditLog))
        {
            problems.Add("auditLog must be an absolute path");
        }

        if (!Path.IsPathFullyQualified(p.StateDir))
        {
            problems.Add("stateDir must be an absolute path");
        }

        if (p.Runtime is not ("runc" or "crun") && !Path.IsPathFullyQualified(p.Runtime))
        {
            problems.Add("runtime must be runc, crun or an absolute path");
        }

        if (p.Pids.Default < 1 || p.Pids.Default > p.Pids.Max)
        {
            problems.Add("pids: need 1 <= default <= max");
        }

        if (p.LogBytes.Default < 4096 || p.LogBytes.Default > p.LogBytes.Max)
        {
            problems.Add("logBytes: need 4096 <= default <= max");
        }

        if (p.MaxCpus is { } cpus && !(cpus > 0 && double.IsFinite(cpus)))
        {
            problems.Add("maxCpus must be a positive number");
        }

        if (p.MaxMemoryMiB is { } memory && memory < Validation.RunLimits.MinMemoryMiB)
        {
            problems.Add($"maxMemoryMiB must be at least {Validation.RunLimits.MinMemoryMiB}");
        }

        foreach (MountRoot root in p.MountRoots)
        {
            if (root.UserHome == (root.Path is not null) || (root.Path is not null && !Validation.PathRules.IsCleanAbsolute(root.Path)))
            {
                problems.Add("mountRoots: each needs either a clean absolute path or userHome");
            }
        }

        foreach (GpuDevice gpu in p.Gpus)
        {
            if (!Validation.PathRules.IsCleanAbsolute(gpu.Node) || (p.UseCdi && gpu.Cdi is null))
            {
                problems.Add($"gpus: {gpu.Id} needs a clean absolute node (and a cdi name when useCdi)");
            }
        }

        if (p.Gpus.Select(g => g.Id).Distinct(StringComparer.Ordinal).Count() != p.Gpus.Count)
        {
            problems.Add("gpus: ids must be unique");
        }

        SlurmPolicyRules.Validate(p.Slurm, problems);
        if (problems.Count > 0)
        {
            throw new PolicyException($"{path}: {string.Join("; ", problems)}.");
        }
    }
}

internal sealed class PolicyException(string message) : Exception(message);
