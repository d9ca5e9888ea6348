using System.Text.Json;
using Portal.Launcher.Native;
using Portal.Launcher.Protocol;

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
        return Parse(SafeFiles.ReadTrusted(path, trustedOwner, MaxBytes), path);
    }

    public const int MaxBytes = 256 * 1024;

    /// <summary>Parses and validates policy text (<paramref name="path"/> names it in messages).</summary>
    public static LauncherPolicy Parse(byte[] bytes, string path)
    {
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

        foreach ((string name, string tool) in new[] { ("conmon", p.Conmon), ("fuseOverlayfs", p.FuseOverlayfs) })
        {
            if (!PathRules.IsMountPath(tool))
            {
                problems.Add($"{name} must be a clean absolute path");
            }
        }

        if (!Cgroups.CgroupPaths.IsValidParent(p.CgroupParent))
        {
            problems.Add("cgroupParent must be a relative path of names made of letters, digits, '.', '_', '@' and '-' (e.g. portal)");
        }

        if (p.PodmanTimeoutSeconds is < 1 or > 600)
        {
            problems.Add("podmanTimeoutSeconds must be between 1 and 600");
        }

        if (p.StorageDriver is not (LauncherPolicy.OverlayStorage or LauncherPolicy.VfsStorage))
        {
            problems.Add("storageDriver must be overlay or vfs");
        }

        if (p.Runtime is not ("runc" or "crun") && !Path.IsPathFullyQualified(p.Runtime))
        {
            problems.Add("runtime must be runc, crun or an absolute path");
        }

        if (p.PidsLimit < 1)
        {
            problems.Add("pidsLimit must be at least 1");
        }

        if (p.LogMaxBytes < 4096)
        {
            problems.Add("logMaxBytes must be at least 4096");
        }

        if (p.MaxCpus is { } cpus && !(cpus > 0 && double.IsFinite(cpus)))
        {
            problems.Add("maxCpus must be a positive number");
        }

        if (p.MaxMemoryMiB is { } memory && memory < RunRules.MinMemoryMiB)
        {
            problems.Add($"maxMemoryMiB must be at least {RunRules.MinMemoryMiB}");
        }

        foreach (PolicyMountRoot root in p.MountRoots)
        {
            if (root.UserHome == (root.Path is not null) || (root.Path is not null && !PathRules.IsMountPath(root.Path)))
            {
                problems.Add("mountRoots: each needs either a clean absolute path or userHome");
            }
        }

        foreach (PolicyGpu gpu in p.Gpus)
        {
            if (!gpu.Nodes.All(PathRules.IsMountPath) || (p.UseCdi && gpu.Cdi is null))
            {
                problems.Add($"gpus: {gpu.Id} needs a clean absolute node and caps (and a cdi name when useCdi)");
            }
        }

        if (p.Driver is { } driver)
        {
            if (!Driver.DriverLayout.IsVersion(driver.Version))
            {
                problems.Add("driver.version must be a driver version such as 590.48.01");
            }
            else
            {
                problems.AddRange(driver.Files.Select(f => Driver.DriverLayout.Problem(f, driver.Version, BuildConstants.DriverRoot, out _))
                    .OfType<string>().Take(5).Select(problem => "driver.files: " + problem));
            }
        }

        if (p.Gpus.Select(g => g.Id).Distinct(StringComparer.Ordinal).Count() != p.Gpus.Count)
        {
            problems.Add("gpus: ids must be unique");
        }

        ValidateAccounts(p, problems);
        if (p.Sessions is { } sessions)
        {
            if (!PathRules.IsMountPath(sessions.Dir) || sessions.Dir == "/" || sessions.Dir.Length > Protocol.SessionRules.MaxFolderRootLength)
            {
                problems.Add($"sessions.dir must be a clean absolute path of at most {Protocol.SessionRules.MaxFolderRootLength} characters (a socket path holds 107 bytes)");
            }

            if (sessions.Group.Length == 0 || sessions.Group == p.Group)
            {
                problems.Add("sessions.group must name the portal's proxy group, not the users' group");
            }

            if (sessions.Bridge is { } bridge && !PathRules.IsMountPath(bridge))
            {
                problems.Add("sessions.bridge must be a clean absolute path");
            }
        }

        SlurmPolicyRules.Validate(p.Slurm, problems);
        ValidateRegistries(p, problems);

        if (problems.Count > 0)
        {
            throw new PolicyException($"{path}: {string.Join("; ", problems)}.");
        }
    }

    /// <summary>Each registry a host as image references write it (the registries.conf text is made from these), once;
    /// plain HTTP only on the loopback.</summary>
    private static void ValidateRegistries(LauncherPolicy p, List<string> problems)
    {
        foreach (PolicyRegistry registry in p.Registries)
        {
            if (ImageRules.Registry(registry.Host + "/x") != registry.Host)
            {
                problems.Add($"registries: '{UntrustedText.Printable(registry.Host)}' is not a registry host[:port] (with a '.' or a ':', or localhost)");
            }
            else if (registry.Insecure && !PolicyRegistry.IsLoopback(registry.Host))
            {
                problems.Add($"registries: {registry.Host} may not be insecure: plain HTTP is allowed only for localhost and 127.0.0.1");
            }
        }

        if (p.Registries.Select(r => r.Host).Distinct(StringComparer.Ordinal).Count() != p.Registries.Count)
        {
            problems.Add("registries: hosts must be unique");
        }

        if (p.ImagePullTimeoutSeconds is < 10 or > 86400)
        {
            problems.Add("imagePullTimeoutSeconds must be between 10 and 86400");
        }

        if (p.ImageBuildTimeoutSeconds is < 10 or > 86400)
        {
            problems.Add("imageBuildTimeoutSeconds must be between 10 and 86400");
        }

        if (p.GpuProcessKillGraceSeconds is < 1 or > 60)
        {
            problems.Add("gpuProcessKillGraceSeconds must be between 1 and 60");
        }
    }

    /// <summary>The fields that decide whose password may be checked and who may run jobs.</summary>
    private static void ValidateAccounts(LauncherPolicy p, List<string> problems)
    {
        // A service name is a file name in /etc/pam.d: nothing that could walk out of it.
        if (p.PamService.Length is 0 or > 64 || !p.PamService.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_'))
        {
            problems.Add("pamService must be 1 to 64 characters of a-z, 0-9, '-' and '_'");
        }

        foreach (string group in p.PrivilegedGroups)
        {
            if (!Protocol.LinuxUserName.IsValid(group))
            {
                problems.Add($"privilegedGroups: '{UntrustedText.Printable(group)}' is not a valid group name");
            }
        }

        if (p.AllPrivilegedGroups.Contains(p.Group, StringComparer.Ordinal))
        {
            problems.Add($"group '{p.Group}' is a privileged group: its members could never run jobs");
        }

        if (p.HomeRoots.Count == 0)
        {
            problems.Add("homeRoots must name at least one folder");
        }

        foreach (string root in p.HomeRoots)
        {
            if (root == "/" || !PathRules.IsMountPath(root))
            {
                problems.Add($"homeRoots: '{UntrustedText.Printable(root)}' must be a clean absolute path other than /");
            }
        }
    }
}

internal sealed class PolicyException(string message) : Exception(message);
