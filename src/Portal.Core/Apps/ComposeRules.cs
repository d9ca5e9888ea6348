namespace Portal.Core.Apps;

/// <summary>The compose keys apps accept, and the reason for each key they refuse by name.</summary>
internal static class ComposeRules
{
    public static readonly IReadOnlySet<string> TopLevel = new HashSet<string>(StringComparer.Ordinal)
    {
        "services", "volumes", "name", "version",
    };

    public static readonly IReadOnlyDictionary<string, string> RefusedTopLevel = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["include"] = "include is not supported: the whole app is this one file (the portal reads no other file).",
        ["networks"] = "Networks are not supported: an app is one pod without a network; its services reach each other by name on 127.0.0.1.",
        ["configs"] = "configs are not supported: the portal reads no file for you; mount a folder under your allowed roots instead.",
        ["secrets"] = "secrets are not supported: the portal reads no file for you; mount a folder under your allowed roots instead.",
    };

    public static readonly IReadOnlySet<string> Service = new HashSet<string>(StringComparer.Ordinal)
    {
        "image", "command", "entrypoint", "environment", "working_dir", "volumes", "depends_on", "healthcheck",
        "deploy", "cpus", "mem_limit", "ports", "expose", "labels", WebFrontKey,
    };

    public const string WebFrontKey = "x-portal-web";

    public static readonly string ServiceList = string.Join(", ", Service.Order(StringComparer.Ordinal));

    private const string Namespaces = "Host and shared namespaces are not allowed: each app is its own pod.";
    private const string Capabilities = "Capabilities are fixed by the portal (all dropped, no new privileges).";
    private const string NoNetwork = "An app has no network: its services reach each other by name on 127.0.0.1.";
    private const string NoFiles = "The portal reads no file for you; mount a folder under your allowed roots instead.";

    public static readonly IReadOnlyDictionary<string, string> RefusedService = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["privileged"] = "privileged is never allowed: it would hand the container every capability and every device you can open.",
        ["network_mode"] = NoNetwork,
        ["networks"] = NoNetwork,
        ["links"] = NoNetwork,
        ["external_links"] = NoNetwork,
        ["extra_hosts"] = NoNetwork,
        ["dns"] = NoNetwork,
        ["dns_search"] = NoNetwork,
        ["dns_opt"] = NoNetwork,
        ["hostname"] = NoNetwork,
        ["domainname"] = NoNetwork,
        ["mac_address"] = NoNetwork,
        ["pid"] = Namespaces,
        ["ipc"] = Namespaces,
        ["uts"] = Namespaces,
        ["userns_mode"] = Namespaces,
        ["cgroup"] = Namespaces,
        ["cgroup_parent"] = "The cgroup is chosen by the portal: the app's limits are enforced by the kernel in it.",
        ["cap_add"] = Capabilities,
        ["cap_drop"] = Capabilities,
        ["security_opt"] = "Security options are fixed by the portal.",
        ["devices"] = "Devices are not allowed; ask for GPUs by count (deploy.resources.reservations.devices with count).",
        ["device_cgroup_rules"] = "Devices are not allowed; ask for GPUs by count (deploy.resources.reservations.devices with count).",
        ["gpus"] = "Ask for GPUs by count under deploy.resources.reservations.devices.",
        ["runtime"] = "The container runtime is chosen by the portal.",
        ["sysctls"] = "sysctls are not allowed.",
        ["ulimits"] = "ulimits are set by the portal.",
        ["pids_limit"] = "The process limit is set by the portal.",
        ["build"] = "Images are never built or pulled here: use an image that is already on the box.",
        ["pull_policy"] = "Images are never pulled here: use an image that is already on the box.",
        ["env_file"] = "env_file is not supported: " + NoFiles + " Write the variables under environment.",
        ["configs"] = "configs are not supported: " + NoFiles,
        ["secrets"] = "secrets are not supported: " + NoFiles,
        ["extends"] = "extends is not supported: the whole app is this one file; share settings with YAML anchors.",
        ["volumes_from"] = "volumes_from is not supported: mount named app volumes by name.",
        ["tmpfs"] = "tmpfs mounts are not supported: use a named app volume.",
        ["storage_opt"] = "Storage options are set by the portal.",
        ["logging"] = "Logging is set by the portal (each service's log is shown on the app's page).",
        ["container_name"] = "Container names are set by the portal (portal-app-<id>-<service>).",
        ["restart"] = "Restart policies are not supported: an app runs once, as a job does.",
        ["user"] = "The user inside the container is the image's; the container runs as your account on the host.",
        ["group_add"] = "Supplementary groups are not supported.",
        ["init"] = "init is not supported.",
        ["shm_size"] = "shm_size is not supported.",
        ["oom_kill_disable"] = "The memory limit is enforced by the kernel for the whole app.",
        ["oom_score_adj"] = "The memory limit is enforced by the kernel for the whole app.",
        ["platform"] = "platform is not supported: images are the box's own.",
        ["profiles"] = "profiles are not supported: every service in the file runs.",
        ["scale"] = "scale is not supported: each service runs once.",
        ["isolation"] = Namespaces,
        ["stdin_open"] = "Apps have no terminal.",
        ["tty"] = "Apps have no terminal.",
    };

    public static readonly IReadOnlySet<string> Healthcheck = new HashSet<string>(StringComparer.Ordinal)
    {
        "test", "interval", "timeout", "retries", "start_period", "disable",
    };

    public static readonly IReadOnlySet<string> TopVolume = new HashSet<string>(StringComparer.Ordinal);

    public static readonly IReadOnlyDictionary<string, string> RefusedTopVolume = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["driver"] = "Volume drivers are not allowed (a local driver with driver_opts is a bind mount of any host path).",
        ["driver_opts"] = "Volume driver options are not allowed (type: none, o: bind, device: /etc would mount any host path).",
        ["external"] = "External volumes are not allowed: an app's volumes are made for it and removed with it.",
        ["name"] = "Volume names are set by the portal (portal-app-<id>-<name>).",
        ["labels"] = "Volume labels are set by the portal.",
    };
}
