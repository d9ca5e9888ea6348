using Portal.Launcher.Protocol;

namespace Portal.Launcher.Podman;

/// <summary>What makes a container a service of an app: the validated service and the app's generated hosts file.</summary>
internal sealed record PodMember(AppServiceSpec Service, string HostsFile);
