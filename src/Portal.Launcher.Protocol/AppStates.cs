namespace Portal.Launcher.Protocol;

/// <summary>
/// An app's services seen as one job: running while any service runs; ended when all have, with the first non-zero exit
/// code (0 when every service exited cleanly). The launcher's <c>list</c> reports each app this way, so the portal's
/// reconciliation treats an app like any other job.
/// </summary>
public static class AppStates
{
    public static ContainerState Aggregate(string job, string owner, IReadOnlyList<ContainerState> services)
    {
        ArgumentNullException.ThrowIfNull(services);
        bool anyRunning = services.Any(s => s.State is "running" or "paused" or "stopping");
        bool allEnded = services.Count > 0 && services.All(s => s.State is "exited" or "stopped");
        return new ContainerState
        {
            Name = LauncherProtocol.PodName(job),
            Job = job,
            App = job,
            Owner = owner,
            State = anyRunning ? "running" : allEnded ? "exited" : (services.Count > 0 ? services[0].State : null) ?? "unknown",
            ExitCode = allEnded ? services.Select(s => s.ExitCode ?? 0).FirstOrDefault(c => c != 0) : null,
            StartedAt = services.Min(s => s.StartedAt),
            FinishedAt = allEnded ? services.Max(s => s.FinishedAt) : null,
            Image = services.Count > 0 ? services[0].Image : null,
        };
    }
}
