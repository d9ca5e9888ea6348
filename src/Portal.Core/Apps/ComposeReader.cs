using Portal.Core.Apps.Yaml;
using static Portal.Core.Apps.AppFileReader;

namespace Portal.Core.Apps;

/// <summary>Reads the services subset of a compose file (docs/apps.md lists it) into service drafts.</summary>
internal sealed class ComposeReader(AppFileReader r)
{
    public (string? Name, List<ServiceDraft> Services, List<(string Name, int Line)> Volumes, List<(string Service, int Port, int Line)> Web) Read(YamlMapping root)
    {
        r.CheckKeys(root, "", ComposeRules.TopLevel, ComposeRules.RefusedTopLevel,
            "services, volumes, name, version, x-*", key => key.StartsWith("x-", StringComparison.Ordinal));

        string? name = Get(root, "name") is { } nameNode ? r.Text(nameNode, "name") : null;
        var volumes = ReadTopVolumes(Get(root, "volumes"));
        var services = new List<ServiceDraft>();
        var web = new List<(string, int, int)>();
        if (Get(root, "services") is not { } servicesNode)
        {
            r.Refuse(root, "services", "A compose file needs a services section.");
            return (name, services, volumes, web);
        }

        if (r.Mapping(servicesNode, "services") is not { } servicesMap)
        {
            return (name, services, volumes, web);
        }

        foreach (var (key, value) in servicesMap.Entries)
        {
            var path = "services." + key.Value;
            var draft = new ServiceDraft(key.Value, key.Line);
            if (r.Mapping(value, path) is { } service)
            {
                ReadService(service, path, draft, web);
            }

            services.Add(draft);
        }

        return (name, services, volumes, web);
    }

    private List<(string, int)> ReadTopVolumes(YamlNode? node)
    {
        var volumes = new List<(string, int)>();
        if (node is null || r.Mapping(node, "volumes") is not { } map)
        {
            return volumes;
        }

        foreach (var (key, value) in map.Entries)
        {
            var path = "volumes." + key.Value;
            if (value is YamlMapping settings)
            {
                r.CheckKeys(settings, path, ComposeRules.TopVolume, ComposeRules.RefusedTopVolume, "none: a volume is declared with an empty value");
            }
            else if (value is not YamlScalar { IsNull: true })
            {
                r.Refuse(value, path, "Declare a volume with an empty value (data: {} or data:).");
            }

            volumes.Add((key.Value, key.Line));
        }

        return volumes;
    }

    private void ReadService(YamlMapping service, string path, ServiceDraft draft, List<(string, int, int)> web)
    {
        r.CheckKeys(service, path, ComposeRules.Service, ComposeRules.RefusedService, ComposeRules.ServiceList);
        foreach (var (key, value) in service.Entries)
        {
            var keyPath = path + "." + key.Value;
            draft.KeyLines[key.Value] = key.Line;
            switch (key.Value)
            {
                case "image":
                    draft.Image = r.Text(value, keyPath);
                    break;
                case "command":
                    draft.Command = Argv(value, keyPath);
                    break;
                case "entrypoint":
                    draft.Entrypoint = Argv(value, keyPath);
                    break;
                case "environment":
                    ReadEnvironment(value, keyPath, draft);
                    break;
                case "working_dir":
                    draft.WorkingDirectory = r.Text(value, keyPath);
                    break;
                case "volumes":
                    ReadVolumes(value, keyPath, draft);
                    break;
                case "depends_on":
                    ReadDependsOn(value, keyPath, draft);
                    break;
                case "healthcheck":
                    draft.Healthcheck = ReadHealthcheck(value, keyPath);
                    break;
                case "deploy":
                    ReadDeploy(value, keyPath, draft);
                    break;
                case "cpus":
                    SetCpus(value, keyPath, draft);
                    break;
                case "mem_limit":
                    SetMemory(value, keyPath, draft);
                    break;
                case "ports":
                case "expose":
                    ReadPorts(value, keyPath, draft, published: key.Value == "ports");
                    break;
                case "labels":
                    ReadLabels(value, keyPath, draft);
                    break;
                case ComposeRules.WebFrontKey:
                    if (r.Mapping(value, keyPath) is { } webMap)
                    {
                        r.CheckKeys(webMap, keyPath, new HashSet<string> { "port" }, new Dictionary<string, string>(), "port");
                        if (Get(webMap, "port") is { } portNode && r.Int(portNode, keyPath + ".port", 1, 65535) is { } port)
                        {
                            web.Add((draft.Name, port, key.Line));
                        }
                        else if (Get(webMap, "port") is null)
                        {
                            r.Refuse(value, keyPath, "Give the port the web front listens on: x-portal-web: {port: 8080}.");
                        }
                    }

                    break;
            }
        }

        if (draft.Image is null && !draft.KeyLines.ContainsKey("image"))
        {
            r.Refuse(draft.Line, path, "Every service needs an image (images are never built here).");
        }
    }

    private List<string>? Argv(YamlNode value, string path)
    {
        if (value is YamlSequence)
        {
            return r.StringList(value, path);
        }

        if (r.Text(value, path) is not { } text)
        {
            return null;
        }

        var words = ShellWords.Split(text);
        if (words is null)
        {
            r.Refuse(value, path, "A quote is left open (or the line ends in a lone backslash).");
        }

        return words;
    }

    private void ReadEnvironment(YamlNode value, string path, ServiceDraft draft)
    {
        const string FromHost = "A variable without a value would be taken from the environment of whoever runs compose; give its value.";
        if (value is YamlMapping map)
        {
            foreach (var (key, item) in map.Entries)
            {
                if (item is YamlScalar { IsNull: true })
                {
                    r.Refuse(key, path + "." + key.Value, FromHost);
                }
                else if (r.Text(item, path + "." + key.Value) is { } text)
                {
                    draft.Environment[key.Value] = text;
                }
            }
        }
        else if (r.Sequence(value, path) is { } list)
        {
            foreach (var item in list.Items)
            {
                if (r.Text(item, path) is not { } text)
                {
                    continue;
                }

                var equals = text.IndexOf('=', StringComparison.Ordinal);
                if (equals < 0)
                {
                    r.Refuse(item, path, FromHost);
                }
                else if (!draft.Environment.TryAdd(text[..equals], text[(equals + 1)..]))
                {
                    r.Refuse(item, path, $"{Printable(text[..equals])} is set twice.");
                }
            }
        }
    }

    private void ReadVolumes(YamlNode value, string path, ServiceDraft draft)
    {
        if (r.Sequence(value, path) is not { } list)
        {
            return;
        }

        foreach (var item in list.Items)
        {
            if (item is YamlMapping longForm)
            {
                ReadLongVolume(longForm, path, draft);
            }
            else if (r.Text(item, path) is { } text)
            {
                var parts = text.Split(':');
                if (parts.Length is < 2 or > 3)
                {
                    r.Refuse(item, path, "Write a volume as source:target or source:target:ro (anonymous volumes are not supported: name them).");
                    continue;
                }

                bool? readOnly = parts.Length == 2 ? false : parts[2] switch
                {
                    "ro" => true,
                    "rw" => false,
                    _ => null,
                };
                if (readOnly is null)
                {
                    r.Refuse(item, path, $"The volume option '{Printable(parts[2])}' is not supported (only ro or rw).");
                    continue;
                }

                AddVolume(item, path, draft, parts[0], parts[1], readOnly.Value, bind: null);
            }
        }
    }

    private void ReadLongVolume(YamlMapping map, string path, ServiceDraft draft)
    {
        r.CheckKeys(map, path, new HashSet<string> { "type", "source", "target", "read_only" }, new Dictionary<string, string>
        {
            ["bind"] = "Bind options (propagation, create_host_path, selinux) are not supported.",
            ["volume"] = "Volume options are not supported.",
            ["tmpfs"] = "tmpfs mounts are not supported: use a named app volume.",
        }, "type, source, target, read_only");
        var type = Get(map, "type") is { } typeNode ? r.Text(typeNode, path + ".type") : null;
        if (type is not ("bind" or "volume"))
        {
            r.Refuse(map, path + ".type", "Give type: bind (a folder under your allowed roots) or type: volume (a named app volume).");
            return;
        }

        var source = Get(map, "source") is { } s ? r.Text(s, path + ".source") : null;
        var target = Get(map, "target") is { } t ? r.Text(t, path + ".target") : null;
        var readOnly = Get(map, "read_only") is { } ro ? r.Bool(ro, path + ".read_only") : false;
        if (source is null || target is null)
        {
            r.Refuse(map, path, "A volume needs a source and a target.");
            return;
        }

        AddVolume(map, path, draft, source, target, readOnly ?? false, bind: type == "bind");
    }

    private void AddVolume(YamlNode node, string path, ServiceDraft draft, string source, string target, bool readOnly, bool? bind)
    {
        if (source.StartsWith('/'))
        {
            if (bind == false)
            {
                r.Refuse(node, path, "A volume of type volume takes a volume name, not a path.");
                return;
            }

            draft.Binds.Add(new AppBind(source, target, readOnly, node.Line));
        }
        else if (source.StartsWith('.') || source.StartsWith('~') || bind == true)
        {
            r.Refuse(node, path, $"'{Printable(source)}': give a bind source as an absolute path (nothing is relative to a folder here).");
        }
        else
        {
            draft.Volumes.Add(new AppVolumeMount(source, target, readOnly, node.Line));
        }
    }

    private void ReadDependsOn(YamlNode value, string path, ServiceDraft draft)
    {
        if (value is YamlSequence)
        {
            foreach (var (item, name) in (r.StringList(value, path) ?? []).Zip(((YamlSequence)value).Items))
            {
                draft.DependsOn.Add(new AppDependency(item, AppDependencyCondition.Started, name.Line));
            }

            return;
        }

        if (r.Mapping(value, path) is not { } map)
        {
            return;
        }

        foreach (var (key, settings) in map.Entries)
        {
            var itemPath = path + "." + key.Value;
            if (r.Mapping(settings, itemPath) is not { } settingsMap)
            {
                continue;
            }

            r.CheckKeys(settingsMap, itemPath, new HashSet<string> { "condition", "required" }, new Dictionary<string, string>
            {
                ["restart"] = "Restart policies are not supported: an app runs once, as a job does.",
            }, "condition, required");
            if (Get(settingsMap, "required") is { } required && r.Bool(required, itemPath + ".required") == false)
            {
                r.Refuse(required, itemPath + ".required", "Every service of an app runs; a dependency cannot be optional.");
            }

            var condition = Get(settingsMap, "condition") is { } c ? r.Text(c, itemPath + ".condition") : "service_started";
            switch (condition)
            {
                case "service_started":
                    draft.DependsOn.Add(new AppDependency(key.Value, AppDependencyCondition.Started, key.Line));
                    break;
                case "service_healthy":
                    draft.DependsOn.Add(new AppDependency(key.Value, AppDependencyCondition.Healthy, key.Line));
                    break;
                case null:
                    break;
                default:
                    r.Refuse(Get(settingsMap, "condition")!, itemPath + ".condition",
                        $"The condition '{Printable(condition)}' is not supported (service_started or service_healthy).");
                    break;
            }
        }
    }

    private AppHealthcheck? ReadHealthcheck(YamlNode value, string path)
    {
        if (r.Mapping(value, path) is not { } map)
        {
            return null;
        }

        r.CheckKeys(map, path, ComposeRules.Healthcheck, new Dictionary<string, string>(), "test, interval, timeout, retries, start_period, disable");
        if (Get(map, "disable") is { } disable && r.Bool(disable, path + ".disable") == true)
        {
            return null;
        }

        if (Get(map, "test") is not { } testNode)
        {
            r.Refuse(map, path, "A health check needs a test.");
            return null;
        }

        List<string>? test = testNode is YamlSequence ? r.StringList(testNode, path + ".test")
            : r.Text(testNode, path + ".test") is { } shell ? ["CMD-SHELL", shell] : null;
        if (test is null)
        {
            return null;
        }

        if (test is ["NONE", ..])
        {
            return null;
        }

        if (test is not (["CMD", _, ..] or ["CMD-SHELL", _]))
        {
            r.Refuse(testNode, path + ".test", "Write the test as [\"CMD\", program, args...], [\"CMD-SHELL\", \"command\"] or a command string.");
            return null;
        }

        var interval = Seconds(map, "interval", path, TimeSpan.FromSeconds(30), 1);
        var timeout = Seconds(map, "timeout", path, TimeSpan.FromSeconds(30), 1);
        var startPeriod = Seconds(map, "start_period", path, TimeSpan.Zero, 0);
        var retries = Get(map, "retries") is { } retriesNode ? r.Int(retriesNode, path + ".retries", 1, HealthLimits.MaxRetries) : 3;
        return interval is null || timeout is null || startPeriod is null || retries is null
            ? null
            : new AppHealthcheck(test, interval.Value, timeout.Value, startPeriod.Value, retries.Value);
    }

    private TimeSpan? Seconds(YamlMapping map, string key, string path, TimeSpan fallback, int minSeconds)
    {
        if (Get(map, key) is not { } node)
        {
            return fallback;
        }

        if (r.Text(node, path + "." + key) is not { } text)
        {
            return null;
        }

        if (Quantities.Duration(text) is not { } span || span < TimeSpan.FromSeconds(minSeconds) || span > HealthLimits.MaxDuration)
        {
            r.Refuse(node, path + "." + key, Format($"Expected a duration from {minSeconds}s to {HealthLimits.MaxDuration.TotalSeconds}s, like 10s or 1m30s."));
            return null;
        }

        // Podman counts health check times in whole seconds.
        return TimeSpan.FromSeconds(Math.Ceiling(span.TotalSeconds));
    }

    private void ReadDeploy(YamlNode value, string path, ServiceDraft draft)
    {
        if (r.Mapping(value, path) is not { } deploy)
        {
            return;
        }

        r.CheckKeys(deploy, path, new HashSet<string> { "resources" }, new Dictionary<string, string>(), "resources");
        if (Get(deploy, "resources") is not { } resourcesNode || r.Mapping(resourcesNode, path + ".resources") is not { } resources)
        {
            return;
        }

        var resourcesPath = path + ".resources";
        r.CheckKeys(resources, resourcesPath, new HashSet<string> { "limits", "reservations" }, new Dictionary<string, string>(), "limits, reservations");
        if (Get(resources, "limits") is { } limitsNode && r.Mapping(limitsNode, resourcesPath + ".limits") is { } limits)
        {
            r.CheckKeys(limits, resourcesPath + ".limits", new HashSet<string> { "cpus", "memory" }, new Dictionary<string, string>
            {
                ["pids"] = "The process limit is set by the portal.",
            }, "cpus, memory");
            if (Get(limits, "cpus") is { } cpus)
            {
                SetCpus(cpus, resourcesPath + ".limits.cpus", draft);
            }

            if (Get(limits, "memory") is { } memory)
            {
                SetMemory(memory, resourcesPath + ".limits.memory", draft);
            }
        }

        if (Get(resources, "reservations") is { } reservationsNode && r.Mapping(reservationsNode, resourcesPath + ".reservations") is { } reservations)
        {
            r.CheckKeys(reservations, resourcesPath + ".reservations", new HashSet<string> { "devices" }, new Dictionary<string, string>
            {
                ["cpus"] = "Give CPUs as a limit (deploy.resources.limits.cpus): the limit is what the app is given and charged.",
                ["memory"] = "Give memory as a limit (deploy.resources.limits.memory): the limit is what the app is given and charged.",
            }, "devices");
            if (Get(reservations, "devices") is { } devices)
            {
                ReadGpuDevices(devices, resourcesPath + ".reservations.devices", draft);
            }
        }
    }

    private void ReadGpuDevices(YamlNode value, string path, ServiceDraft draft)
    {
        if (r.Sequence(value, path) is not { } list)
        {
            return;
        }

        foreach (var item in list.Items)
        {
            if (r.Mapping(item, path) is not { } device)
            {
                continue;
            }

            r.CheckKeys(device, path, new HashSet<string> { "capabilities", "count", "driver" }, new Dictionary<string, string>
            {
                ["device_ids"] = "GPUs are given by count: the portal picks free GPUs from its ledger.",
                ["options"] = "Device options are not supported.",
            }, "capabilities, count, driver");
            if (Get(device, "driver") is { } driver && r.Text(driver, path + ".driver") is { } driverName && driverName != "nvidia")
            {
                r.Refuse(driver, path + ".driver", "Only NVIDIA GPUs (driver: nvidia) can be asked for.");
            }

            if (Get(device, "capabilities") is not { } capabilities || r.StringList(capabilities, path + ".capabilities") is not { } caps || !caps.Contains("gpu"))
            {
                r.Refuse(device, path + ".capabilities", "Only GPUs can be asked for: capabilities: [gpu].");
                continue;
            }

            if (Get(device, "count") is not { } count)
            {
                r.Refuse(device, path + ".count", "Give a number of GPUs (count: 1); count: all is not allowed.");
                continue;
            }

            if (count is YamlScalar { Value: "all" })
            {
                r.Refuse(count, path + ".count", "count: all is not allowed: ask for a number of GPUs.");
            }
            else if (r.Int(count, path + ".count", 1, 64) is { } gpus)
            {
                draft.Gpus += gpus;
                draft.KeyLines["gpus"] = count.Line;
            }
        }
    }

    private void SetCpus(YamlNode value, string path, ServiceDraft draft)
    {
        if (r.Text(value, path) is not { } text)
        {
            return;
        }

        if (draft.Cpus is not null)
        {
            r.Refuse(value, path, "The CPU limit is given twice (cpus and deploy.resources.limits.cpus).");
        }
        else if (Quantities.Cpus(text, allowMillicores: false) is { } cpus)
        {
            draft.Cpus = cpus;
            draft.KeyLines["cpus"] = value.Line;
        }
        else
        {
            r.Refuse(value, path, "Expected a number of CPUs above 0, like 2 or 0.5.");
        }
    }

    private void SetMemory(YamlNode value, string path, ServiceDraft draft)
    {
        if (r.Text(value, path) is not { } text)
        {
            return;
        }

        if (draft.MemoryMiB is not null)
        {
            r.Refuse(value, path, "The memory limit is given twice (mem_limit and deploy.resources.limits.memory).");
        }
        else if (Quantities.ComposeMemoryMiB(text) is { } mib)
        {
            draft.MemoryMiB = mib;
            draft.KeyLines["memory"] = value.Line;
        }
        else
        {
            r.Refuse(value, path, "Expected a size like 512m or 2g.");
        }
    }

    private void ReadPorts(YamlNode value, string path, ServiceDraft draft, bool published)
    {
        if (r.Sequence(value, path) is not { } list)
        {
            return;
        }

        foreach (var item in list.Items)
        {
            if (item is YamlMapping longForm)
            {
                r.CheckKeys(longForm, path, new HashSet<string> { "target", "protocol", "name", "app_protocol" }, new Dictionary<string, string>
                {
                    ["published"] = "Publishing host ports is not allowed: an app has no network; use the web front (x-portal-web) to reach a service.",
                    ["host_ip"] = "Publishing host ports is not allowed: an app has no network.",
                    ["mode"] = "Publishing host ports is not allowed: an app has no network.",
                }, "target, protocol, name, app_protocol");
                if (Get(longForm, "target") is { } target && r.Int(target, path + ".target", 1, 65535) is { } port)
                {
                    draft.Ports.Add((port, target.Line));
                }

                continue;
            }

            if (r.Text(item, path) is not { } text)
            {
                continue;
            }

            var portText = text.EndsWith("/tcp", StringComparison.Ordinal) || text.EndsWith("/udp", StringComparison.Ordinal) ? text[..^4] : text;
            if (portText.Contains(':', StringComparison.Ordinal))
            {
                r.Refuse(item, path, published
                    ? "Publishing host ports is not allowed: an app has no network; give the container port alone, and use the web front (x-portal-web) to reach a service."
                    : "Give a container port alone.");
            }
            else if (int.TryParse(portText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) && port is >= 1 and <= 65535)
            {
                draft.Ports.Add((port, item.Line));
            }
            else
            {
                r.Refuse(item, path, "Expected one container port from 1 to 65535.");
            }
        }
    }

    private void ReadLabels(YamlNode value, string path, ServiceDraft draft)
    {
        if (value is YamlMapping map)
        {
            foreach (var (key, item) in map.Entries)
            {
                if (r.Text(item, path + "." + key.Value) is { } text)
                {
                    AddLabel(key, path, draft, key.Value, text);
                }
            }
        }
        else if (r.Sequence(value, path) is { } list)
        {
            foreach (var item in list.Items)
            {
                if (r.Text(item, path) is { } text)
                {
                    var equals = text.IndexOf('=', StringComparison.Ordinal);
                    AddLabel(item, path, draft, equals < 0 ? text : text[..equals], equals < 0 ? "" : text[(equals + 1)..]);
                }
            }
        }
    }

    private void AddLabel(YamlNode node, string path, ServiceDraft draft, string key, string value)
    {
        if (Launcher.Protocol.AppRules.LabelProblem(key, value) is { } problem)
        {
            r.Refuse(node, path + "." + Printable(key), problem);
        }
        else if (draft.Labels.Count >= Launcher.Protocol.AppRules.MaxLabels)
        {
            r.Refuse(node, path, "A service has at most 32 labels.");
        }
        else if (!draft.Labels.TryAdd(key, value))
        {
            r.Refuse(node, path + "." + key, "This label is set twice.");
        }
    }
}
