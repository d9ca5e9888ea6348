using System.Globalization;
using Portal.Core.Apps.Yaml;
using static Portal.Core.Apps.AppFileReader;

namespace Portal.Core.Apps;

/// <summary>
/// Reads a Kubernetes <c>Pod</c> (the subset docs/apps.md lists) into service drafts. Containers start in the order
/// they are listed; a Pod has no health-gated start order (use a compose file for that).
/// </summary>
internal sealed class KubePodReader(AppFileReader r)
{
    public const string WebFrontAnnotation = "x-portal-web";

    private const string GpuResource = "nvidia.com/gpu";
    private const string HostNamespaces = "Host namespaces are never allowed: each app is its own pod without a network.";
    private const string SecurityContext = "securityContext is not allowed: privileges are fixed by the portal (no capabilities, no new privileges).";

    private static readonly Dictionary<string, string> RefusedSpec = new(StringComparer.Ordinal)
    {
        ["hostNetwork"] = HostNamespaces,
        ["hostPID"] = HostNamespaces,
        ["hostIPC"] = HostNamespaces,
        ["hostUsers"] = HostNamespaces,
        ["shareProcessNamespace"] = HostNamespaces,
        ["securityContext"] = SecurityContext,
        ["initContainers"] = "initContainers are not supported: use a compose file with depends_on.",
        ["hostAliases"] = "Host names are set by the portal: every container reaches the others by name on 127.0.0.1.",
        ["hostname"] = "Host names are set by the portal.",
        ["dnsPolicy"] = "An app has no network.",
        ["dnsConfig"] = "An app has no network.",
    };

    private static readonly Dictionary<string, string> RefusedContainer = new(StringComparer.Ordinal)
    {
        ["securityContext"] = SecurityContext,
        ["volumeDevices"] = "Devices are not allowed; ask for GPUs by count (resources.limits nvidia.com/gpu).",
        ["envFrom"] = "envFrom is not supported: write the variables under env.",
        ["livenessProbe"] = "Probes are not supported in a Pod; use a compose file with a healthcheck.",
        ["readinessProbe"] = "Probes are not supported in a Pod; use a compose file with a healthcheck.",
        ["startupProbe"] = "Probes are not supported in a Pod; use a compose file with a healthcheck.",
        ["lifecycle"] = "Lifecycle hooks are not supported.",
        ["stdin"] = "Apps have no terminal.",
        ["tty"] = "Apps have no terminal.",
    };

    public (string? Name, List<ServiceDraft> Services, List<(string Name, int Line)> Volumes, List<(string Service, int Port, int Line)> Web) Read(YamlMapping root)
    {
        var services = new List<ServiceDraft>();
        var volumes = new List<(string, int)>();
        var web = new List<(string, int, int)>();
        r.CheckKeys(root, "", new HashSet<string> { "apiVersion", "kind", "metadata", "spec" }, new Dictionary<string, string>(), "apiVersion, kind, metadata, spec");
        if (Get(root, "apiVersion") is not { } api || r.Text(api, "apiVersion") != "v1")
        {
            r.Refuse(Get(root, "apiVersion") ?? root, "apiVersion", "A Pod has apiVersion: v1.");
        }

        if (Get(root, "kind") is { } kindNode && r.Text(kindNode, "kind") is { } kind && kind != "Pod")
        {
            r.Refuse(kindNode, "kind", $"Only kind: Pod is accepted (or a compose file), not '{Printable(kind)}'.");
            return (null, services, volumes, web);
        }

        string? name = null;
        if (Get(root, "metadata") is { } metadataNode && r.Mapping(metadataNode, "metadata") is { } metadata)
        {
            name = ReadMetadata(metadata, web);
        }

        if (Get(root, "spec") is not { } specNode || r.Mapping(specNode, "spec") is not { } spec)
        {
            r.Refuse(root, "spec", "A Pod needs a spec with containers.");
            return (name, services, volumes, web);
        }

        r.CheckKeys(spec, "spec", new HashSet<string> { "containers", "volumes", "restartPolicy" }, RefusedSpec, "containers, volumes, restartPolicy");
        if (Get(spec, "restartPolicy") is { } restart && r.Text(restart, "spec.restartPolicy") is { } policy && policy != "Never")
        {
            r.Refuse(restart, "spec.restartPolicy", "An app runs once, as a job does: only restartPolicy: Never.");
        }

        var declared = Get(spec, "volumes") is { } volumesNode ? ReadVolumes(volumesNode) : [];
        volumes.AddRange(declared.Where(v => v.Value.HostPath is null).Select(v => (v.Value.VolumeName!, v.Value.Line)).Distinct());
        if (Get(spec, "containers") is not { } containersNode || r.Sequence(containersNode, "spec.containers") is not { } containers || containers.Items.Count == 0)
        {
            r.Refuse(spec, "spec.containers", "A Pod needs at least one container.");
            return (name, services, volumes, web);
        }

        foreach (var item in containers.Items)
        {
            if (r.Mapping(item, "spec.containers") is { } container)
            {
                services.Add(ReadContainer(container, declared));
            }
        }

        return (name, services, volumes, web);
    }

    private string? ReadMetadata(YamlMapping metadata, List<(string, int, int)> web)
    {
        r.CheckKeys(metadata, "metadata", new HashSet<string> { "name", "labels", "annotations" }, new Dictionary<string, string>(), "name, labels, annotations");
        if (Get(metadata, "labels") is { } labelsNode && r.Mapping(labelsNode, "metadata.labels") is { } labels)
        {
            foreach (var (key, _) in labels.Entries.Where(e => e.Key.Value.StartsWith("portal.", StringComparison.OrdinalIgnoreCase)))
            {
                r.Refuse(key, "metadata.labels." + key.Value, "Labels starting with 'portal.' are the portal's own.");
            }
        }

        if (Get(metadata, "annotations") is { } annotationsNode && r.Mapping(annotationsNode, "metadata.annotations") is { } annotations)
        {
            r.CheckKeys(annotations, "metadata.annotations", new HashSet<string> { WebFrontAnnotation }, new Dictionary<string, string>(), WebFrontAnnotation);
            if (Get(annotations, WebFrontAnnotation) is { } webNode && r.Text(webNode, "metadata.annotations." + WebFrontAnnotation) is { } value)
            {
                var colon = value.LastIndexOf(':');
                if (colon > 0 && int.TryParse(value.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 1 and <= 65535)
                {
                    web.Add((value[..colon], port, webNode.Line));
                }
                else
                {
                    r.Refuse(webNode, "metadata.annotations." + WebFrontAnnotation, "Write the web front as <container>:<port>, e.g. ui:8080.");
                }
            }
        }

        return Get(metadata, "name") is { } nameNode ? r.Text(nameNode, "metadata.name") : null;
    }

    private sealed record PodVolume(string? VolumeName, string? HostPath, int Line);

    private Dictionary<string, PodVolume> ReadVolumes(YamlNode node)
    {
        var result = new Dictionary<string, PodVolume>(StringComparer.Ordinal);
        if (r.Sequence(node, "spec.volumes") is not { } list)
        {
            return result;
        }

        foreach (var item in list.Items)
        {
            if (r.Mapping(item, "spec.volumes") is not { } volume || Get(volume, "name") is not { } nameNode || r.Text(nameNode, "spec.volumes.name") is not { } name)
            {
                if (item is YamlMapping)
                {
                    r.Refuse(item, "spec.volumes", "Every volume needs a name.");
                }

                continue;
            }

            var path = "spec.volumes." + name;
            r.CheckKeys(volume, path, new HashSet<string> { "name", "emptyDir", "hostPath", "persistentVolumeClaim" }, new Dictionary<string, string>(),
                "name with one of emptyDir, persistentVolumeClaim (named app volumes) or hostPath (a folder under your allowed roots)");
            PodVolume? read = null;
            if (Get(volume, "emptyDir") is { } emptyDir)
            {
                if (emptyDir is YamlMapping { Entries.Count: > 0 })
                {
                    r.Refuse(emptyDir, path + ".emptyDir", "emptyDir takes no settings here.");
                }

                read = new PodVolume(name, null, item.Line);
            }
            else if (Get(volume, "persistentVolumeClaim") is { } claimNode && r.Mapping(claimNode, path + ".persistentVolumeClaim") is { } claim)
            {
                r.CheckKeys(claim, path + ".persistentVolumeClaim", new HashSet<string> { "claimName" }, new Dictionary<string, string>(), "claimName");
                if (Get(claim, "claimName") is { } claimName && r.Text(claimName, path + ".persistentVolumeClaim.claimName") is { } volumeName)
                {
                    read = new PodVolume(volumeName, null, item.Line);
                }
            }
            else if (Get(volume, "hostPath") is { } hostNode && r.Mapping(hostNode, path + ".hostPath") is { } host)
            {
                r.CheckKeys(host, path + ".hostPath", new HashSet<string> { "path", "type" }, new Dictionary<string, string>(), "path, type");
                if (Get(host, "type") is { } typeNode && r.Text(typeNode, path + ".hostPath.type") is { } type && type is not ("" or "Directory" or "File"))
                {
                    r.Refuse(typeNode, path + ".hostPath.type", "Only existing folders and files can be mounted (type Directory or File); devices, sockets and created paths are not allowed.");
                }
                else if (Get(host, "path") is { } hostPath && r.Text(hostPath, path + ".hostPath.path") is { } source)
                {
                    read = new PodVolume(null, source, item.Line);
                }
            }
            else if (!volume.Entries.Any(e => e.Key.Value is not "name"))
            {
                r.Refuse(item, path, "Say what the volume is: emptyDir, persistentVolumeClaim or hostPath.");
            }

            if (read is not null && !result.TryAdd(name, read))
            {
                r.Refuse(item, path, "Two volumes have this name.");
            }
        }

        return result;
    }

    private ServiceDraft ReadContainer(YamlMapping container, Dictionary<string, PodVolume> volumes)
    {
        var name = Get(container, "name") is { } nameNode ? r.Text(nameNode, "spec.containers.name") : null;
        var path = "spec.containers." + (name ?? "?");
        var draft = new ServiceDraft(name ?? "", container.Line);
        if (name is null)
        {
            r.Refuse(container, "spec.containers", "Every container needs a name.");
        }

        r.CheckKeys(container, path, new HashSet<string> { "name", "image", "command", "args", "env", "workingDir", "volumeMounts", "resources", "ports", "imagePullPolicy" },
            RefusedContainer, "name, image, command, args, env, workingDir, volumeMounts, resources, ports, imagePullPolicy");
        foreach (var (key, value) in container.Entries)
        {
            var keyPath = path + "." + key.Value;
            draft.KeyLines[key.Value switch { "workingDir" => "working_dir", "args" => "command", "command" => "entrypoint", _ => key.Value }] = key.Line;
            switch (key.Value)
            {
                case "image":
                    draft.Image = r.Text(value, keyPath);
                    break;
                case "command":
                    draft.Entrypoint = Argv(value, keyPath);
                    break;
                case "args":
                    draft.Command = Argv(value, keyPath);
                    break;
                case "workingDir":
                    draft.WorkingDirectory = r.Text(value, keyPath);
                    break;
                case "imagePullPolicy":
                    if (r.Text(value, keyPath) is { } pull && pull is not ("Never" or "IfNotPresent"))
                    {
                        r.Refuse(value, keyPath, "Images are never pulled here: Never or IfNotPresent.");
                    }

                    break;
                case "env":
                    ReadEnv(value, keyPath, draft);
                    break;
                case "volumeMounts":
                    ReadMounts(value, keyPath, draft, volumes);
                    break;
                case "resources":
                    ReadResources(value, keyPath, draft);
                    break;
                case "ports":
                    ReadPorts(value, keyPath, draft);
                    break;
            }
        }

        if (!draft.KeyLines.ContainsKey("image"))
        {
            r.Refuse(container, path, "Every container needs an image.");
        }

        return draft;
    }

    /// <summary>Kubernetes expands <c>$(VAR)</c> in command and args from the container's env; that is not done here, so it is refused rather than run literally.</summary>
    private List<string>? Argv(YamlNode value, string path)
    {
        var items = r.StringList(value, path);
        if (items?.Any(i => i.Replace("$$", "", StringComparison.Ordinal).Contains("$(", StringComparison.Ordinal)) == true)
        {
            r.Refuse(value, path, "Variable references $(VAR) are not expanded here; write the value itself.");
            return null;
        }

        return items;
    }

    private void ReadEnv(YamlNode value, string path, ServiceDraft draft)
    {
        if (r.Sequence(value, path) is not { } list)
        {
            return;
        }

        foreach (var item in list.Items)
        {
            if (r.Mapping(item, path) is not { } entry)
            {
                continue;
            }

            r.CheckKeys(entry, path, new HashSet<string> { "name", "value" }, new Dictionary<string, string>
            {
                ["valueFrom"] = "valueFrom is not supported: write the value itself.",
            }, "name, value");
            if (Get(entry, "name") is { } nameNode && r.Text(nameNode, path + ".name") is { } name)
            {
                var text = Get(entry, "value") is { } v ? r.Text(v, path + "." + name) : "";
                if (text is not null && !draft.Environment.TryAdd(name, text))
                {
                    r.Refuse(nameNode, path + "." + name, "This variable is set twice.");
                }
            }
        }
    }

    private void ReadMounts(YamlNode value, string path, ServiceDraft draft, Dictionary<string, PodVolume> volumes)
    {
        if (r.Sequence(value, path) is not { } list)
        {
            return;
        }

        foreach (var item in list.Items)
        {
            if (r.Mapping(item, path) is not { } mount)
            {
                continue;
            }

            r.CheckKeys(mount, path, new HashSet<string> { "name", "mountPath", "readOnly" }, new Dictionary<string, string>
            {
                ["subPath"] = "subPath is not supported: mount the folder itself.",
                ["subPathExpr"] = "subPathExpr is not supported.",
                ["mountPropagation"] = "Mount propagation is not allowed.",
            }, "name, mountPath, readOnly");
            var name = Get(mount, "name") is { } n ? r.Text(n, path + ".name") : null;
            var target = Get(mount, "mountPath") is { } t ? r.Text(t, path + ".mountPath") : null;
            var readOnly = Get(mount, "readOnly") is { } ro ? r.Bool(ro, path + ".readOnly") ?? false : false;
            if (name is null || target is null)
            {
                r.Refuse(item, path, "A volume mount needs a name and a mountPath.");
            }
            else if (!volumes.TryGetValue(name, out var volume))
            {
                r.Refuse(item, path, $"No volume named '{Printable(name)}' is declared under spec.volumes.");
            }
            else if (volume.HostPath is { } hostPath)
            {
                draft.Binds.Add(new AppBind(hostPath, target, readOnly, item.Line));
            }
            else
            {
                draft.Volumes.Add(new AppVolumeMount(volume.VolumeName!, target, readOnly, item.Line));
            }
        }
    }

    private void ReadResources(YamlNode value, string path, ServiceDraft draft)
    {
        if (r.Mapping(value, path) is not { } resources)
        {
            return;
        }

        r.CheckKeys(resources, path, new HashSet<string> { "limits", "requests" }, new Dictionary<string, string>(), "limits, requests");
        var limits = Get(resources, "limits") is { } l ? ReadQuantities(l, path + ".limits") : [];
        var requests = Get(resources, "requests") is { } q ? ReadQuantities(q, path + ".requests") : [];

        // The limit is what the app gets and is charged for; a request alone stands in for it.
        foreach (var key in new[] { "cpu", "memory", GpuResource })
        {
            var chosen = limits.TryGetValue(key, out var limit) ? limit : requests.TryGetValue(key, out var request) ? request : default;
            if (chosen.Node is null)
            {
                continue;
            }

            var keyPath = path + "." + key;
            switch (key)
            {
                case "cpu":
                    draft.Cpus = Quantities.Cpus(chosen.Text, allowMillicores: true);
                    draft.KeyLines["cpus"] = chosen.Node.Line;
                    if (draft.Cpus is null)
                    {
                        r.Refuse(chosen.Node, keyPath, "Expected CPUs like 2, 0.5 or 500m.");
                    }

                    break;
                case "memory":
                    draft.MemoryMiB = Quantities.KubeMemoryMiB(chosen.Text);
                    draft.KeyLines["memory"] = chosen.Node.Line;
                    if (draft.MemoryMiB is null)
                    {
                        r.Refuse(chosen.Node, keyPath, "Expected a size like 512Mi or 2Gi.");
                    }

                    break;
                default:
                    draft.KeyLines["gpus"] = chosen.Node.Line;
                    if (int.TryParse(chosen.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var gpus) && gpus is >= 0 and <= 64)
                    {
                        draft.Gpus = gpus;
                    }
                    else
                    {
                        r.Refuse(chosen.Node, keyPath, "Expected a whole number of GPUs.");
                    }

                    if (limits.TryGetValue(key, out var gpuLimit) && requests.TryGetValue(key, out var gpuRequest) && gpuLimit.Text != gpuRequest.Text)
                    {
                        r.Refuse(gpuRequest.Node!, keyPath, "GPU requests must equal GPU limits.");
                    }

                    break;
            }
        }
    }

    private Dictionary<string, (YamlNode? Node, string Text)> ReadQuantities(YamlNode value, string path)
    {
        var result = new Dictionary<string, (YamlNode?, string)>(StringComparer.Ordinal);
        if (r.Mapping(value, path) is not { } map)
        {
            return result;
        }

        r.CheckKeys(map, path, new HashSet<string> { "cpu", "memory", GpuResource }, new Dictionary<string, string>
        {
            ["ephemeral-storage"] = "Storage limits are not supported.",
        }, "cpu, memory, " + GpuResource);
        foreach (var (key, item) in map.Entries)
        {
            if (r.Text(item, path + "." + key.Value) is { } text)
            {
                result[key.Value] = (item, text);
            }
        }

        return result;
    }

    private void ReadPorts(YamlNode value, string path, ServiceDraft draft)
    {
        if (r.Sequence(value, path) is not { } list)
        {
            return;
        }

        foreach (var item in list.Items)
        {
            if (r.Mapping(item, path) is not { } port)
            {
                continue;
            }

            r.CheckKeys(port, path, new HashSet<string> { "containerPort", "name", "protocol" }, new Dictionary<string, string>
            {
                ["hostPort"] = "Publishing host ports is not allowed: an app has no network; use the web front (x-portal-web) to reach a container.",
                ["hostIP"] = "Publishing host ports is not allowed: an app has no network.",
            }, "containerPort, name, protocol");
            if (Get(port, "containerPort") is { } number && r.Int(number, path + ".containerPort", 1, 65535) is { } containerPort)
            {
                draft.Ports.Add((containerPort, number.Line));
            }
        }
    }
}
