using Portal.Launcher.Protocol;
using Portal.Core.Apps.Yaml;
using static Portal.Core.Apps.AppFileReader;

namespace Portal.Core.Apps;

/// <summary>What <see cref="AppFileParser.Parse"/> understood: a spec, or every problem found (then no spec).</summary>
public sealed record AppParseResult(AppSpec? Spec, IReadOnlyList<AppProblem> Problems)
{
    /// <summary>True when the file may be reviewed and submitted.</summary>
    public bool IsValid => Spec is not null && Problems.Count == 0;
}

/// <summary>
/// Turns a compose file or a Kubernetes Pod into an <see cref="AppSpec"/>, or refuses it naming each problem's line
/// and key. Pure: it reads no file, no environment and no clock, so the same text always gives the same answer.
/// Values are checked for form here (structure, names, references, start order); whether the images, folders, GPUs
/// and quotas allow it is <see cref="AppSpecValidator"/>'s part.
/// </summary>
public static class AppFileParser
{
    /// <summary>Parses <paramref name="text"/>.</summary>
    public static AppParseResult Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (YamlTreeReader.Read(text, out var yamlProblem) is not { } root)
        {
            return new AppParseResult(null, [yamlProblem!]);
        }

        if (root is not YamlMapping map)
        {
            return new AppParseResult(null, [new AppProblem(root.Line, "", "Expected a compose file (services: ...) or a Kubernetes Pod (kind: Pod).")]);
        }

        var isKube = Get(map, "kind") is not null || Get(map, "apiVersion") is not null;
        if (!isKube && Get(map, "services") is null)
        {
            return new AppParseResult(null, [new AppProblem(map.Line, "", "Expected a compose file (services: ...) or a Kubernetes Pod (kind: Pod).")]);
        }

        var reader = new AppFileReader(composeInterpolation: !isKube);
        var (name, drafts, volumes, web) = isKube ? new KubePodReader(reader).Read(map) : new ComposeReader(reader).Read(map);
        var services = Finish(reader, isKube, drafts, volumes, web, out var webFront);
        if (reader.Problems.Count > 0)
        {
            return new AppParseResult(null, [.. reader.Problems.OrderBy(p => p.Line)]);
        }

        return new AppParseResult(new AppSpec
        {
            Kind = isKube ? AppFileKind.KubePod : AppFileKind.Compose,
            Name = name,
            Services = services,
            Volumes = [.. volumes.Select(v => v.Name).Distinct(StringComparer.Ordinal)],
            WebFront = webFront,
        }, []);
    }

    private static List<AppService> Finish(AppFileReader r, bool isKube, List<ServiceDraft> drafts,
        List<(string Name, int Line)> volumes, List<(string Service, int Port, int Line)> web, out AppWebFront? webFront)
    {
        var prefix = isKube ? "spec.containers." : "services.";
        webFront = null;
        if (drafts.Count > AppRules.MaxServices)
        {
            r.Refuse(drafts[AppRules.MaxServices].Line, prefix + drafts[AppRules.MaxServices].Name, Format($"An app has at most {AppRules.MaxServices} services."));
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var draft in drafts.Where(d => d.Name.Length > 0))
        {
            if (!AppRules.IsServiceName(draft.Name) && draft.Name != "localhost")
            {
                r.Refuse(draft.Line, prefix + Printable(draft.Name), Format(
                    $"A service name is its host name inside the app: up to {AppRules.MaxNameLength} lowercase letters, digits and '-', starting with a letter or digit."));
            }
            else if (draft.Name is "localhost" || !names.Add(draft.Name))
            {
                r.Refuse(draft.Line, prefix + draft.Name, "Two services have this name (or it is 'localhost').");
            }
        }

        var declaredVolumes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (volume, line) in volumes)
        {
            if (!AppRules.IsVolumeName(volume))
            {
                r.Refuse(line, "volumes." + Printable(volume), "A volume name is up to 32 lowercase letters, digits, '_', '.' and '-', starting with a letter or digit.");
            }

            declaredVolumes.Add(volume);
        }

        var ports = new Dictionary<int, string>();
        foreach (var draft in drafts)
        {
            foreach (var mount in draft.Volumes.Where(m => !declaredVolumes.Contains(m.Volume)))
            {
                r.Refuse(mount.Line, prefix + draft.Name + ".volumes", $"The volume '{Printable(mount.Volume)}' is not declared under the top-level volumes.");
            }

            foreach (var dependency in draft.DependsOn)
            {
                var target = drafts.FirstOrDefault(d => d.Name == dependency.Service);
                if (target is null || target == draft)
                {
                    r.Refuse(dependency.Line, prefix + draft.Name + ".depends_on", $"'{Printable(dependency.Service)}' is not another service of this app.");
                }
                else if (dependency.Condition == AppDependencyCondition.Healthy && target.Healthcheck is null)
                {
                    r.Refuse(dependency.Line, prefix + draft.Name + ".depends_on", $"'{dependency.Service}' has no healthcheck, so it can never be service_healthy.");
                }
            }

            // One pod is one network namespace: two services cannot listen on the same port.
            foreach (var (port, line) in draft.Ports.DistinctBy(p => p.Port))
            {
                if (!ports.TryAdd(port, draft.Name) && ports[port] != draft.Name)
                {
                    r.Refuse(line, prefix + draft.Name + ".ports", Format($"Port {port} is also {ports[port]}'s: the services of an app share one network namespace."));
                }
            }
        }

        foreach (var (service, port, line) in web.Skip(1))
        {
            r.Refuse(line, prefix + service, Format($"Only one service can be the web front ({web[0].Service} already is)."));
        }

        if (web.Count > 0)
        {
            webFront = new AppWebFront(web[0].Service, web[0].Port);
            var front = drafts.FirstOrDefault(d => d.Name == web[0].Service);
            if (front is null)
            {
                r.Refuse(web[0].Line, KubePodReader.WebFrontAnnotation, $"There is no container named '{Printable(web[0].Service)}'.");
            }
            else if ((front.Entrypoint?.Count ?? 0) + (front.Command?.Count ?? 0) == 0)
            {
                // The portal's bridge becomes the web front's entrypoint and starts the service's own argv, which the
                // portal only knows when the file says it (an image's own entrypoint and command are not read).
                r.Refuse(web[0].Line, isKube ? KubePodReader.WebFrontAnnotation : prefix + front.Name + "." + ComposeRules.WebFrontKey,
                    "The web front needs its command (or entrypoint) in the file: the portal's bridge starts it, and cannot know the image's own.");
            }
            else if ((front.Entrypoint?.Count ?? 0) + (front.Command?.Count ?? 0) > RunRules.MaxCommandItems)
            {
                // The launcher gets the web front's entrypoint and command as one command: it must fit one.
                r.Refuse(web[0].Line, isKube ? KubePodReader.WebFrontAnnotation : prefix + front.Name + "." + ComposeRules.WebFrontKey,
                    Format($"The web front's entrypoint and command together have at most {RunRules.MaxCommandItems} items."));
            }
        }

        return StartOrder(r, prefix, drafts);
    }

    /// <summary>
    /// Every service after the services it depends on; otherwise in file order. A cycle is refused at the first
    /// service in it (a file with one can never start).
    /// </summary>
    private static List<AppService> StartOrder(AppFileReader r, string prefix, List<ServiceDraft> drafts)
    {
        var ordered = new List<ServiceDraft>();
        var placed = new HashSet<string>(StringComparer.Ordinal);
        var known = drafts.Select(d => d.Name).ToHashSet(StringComparer.Ordinal);
        var pending = drafts.ToList();
        while (pending.Count > 0)
        {
            var next = pending.FirstOrDefault(d => d.DependsOn.All(x => placed.Contains(x.Service) || !known.Contains(x.Service) || x.Service == d.Name));
            if (next is null)
            {
                var stuck = pending[0];
                r.Refuse(stuck.Line, prefix + stuck.Name + ".depends_on", "The services' depends_on form a cycle: " + string.Join(", ", pending.Select(p => p.Name)) + ".");
                break;
            }

            ordered.Add(next);
            placed.Add(next.Name);
            pending.Remove(next);
        }

        return [.. ordered.Select(d => d.Build())];
    }
}
