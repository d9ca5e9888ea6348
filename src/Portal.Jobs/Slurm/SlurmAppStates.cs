using System.Globalization;
using Portal.Launcher.Protocol;

namespace Portal.Jobs.Slurm;

/// <summary>
/// The services' states of an app on a Slurm cluster. Its pod lives on a node, where the portal runs no podman; the
/// batch script says in the job's output file when each service started and when it ended, with its exit code
/// (<see cref="SlurmNames.ServiceStartedLine"/>), and that is what the app's page and API show. The services' own
/// output goes to files of their own, so only the script writes these lines (and the owner, who may write the file,
/// fools only their own page).
/// </summary>
public static class SlurmAppStates
{
    /// <summary>The states the lines tell, for the app's services (in the order given); a service the script has not
    /// started yet has none.</summary>
    public static IReadOnlyList<ContainerState> Parse(IEnumerable<string> lines, string job, string owner, IReadOnlyList<string> services)
    {
        ArgumentNullException.ThrowIfNull(lines);
        ArgumentNullException.ThrowIfNull(services);
        var seen = new Dictionary<string, (string State, int? ExitCode)>(StringComparer.Ordinal);
        foreach (var line in lines)
        {
            if (!line.StartsWith(SlurmNames.ServiceLinePrefix, StringComparison.Ordinal))
            {
                continue;
            }

            var rest = line[SlurmNames.ServiceLinePrefix.Length..];
            var quote = rest.IndexOf('\'', StringComparison.Ordinal);
            if (quote <= 0)
            {
                continue;
            }

            var service = rest[..quote];
            var tail = rest[quote..];
            if (tail == SlurmNames.ServiceStartedSuffix)
            {
                seen[service] = ("running", null);
            }
            else if (tail.StartsWith(SlurmNames.ServiceEndedSuffix, StringComparison.Ordinal)
                && int.TryParse(tail[SlurmNames.ServiceEndedSuffix.Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var code))
            {
                seen[service] = ("exited", code);
            }
        }

        return [.. services.Where(seen.ContainsKey).Select(s => new ContainerState
        {
            Name = LauncherProtocol.ServiceContainerName(job, s),
            Job = job,
            App = job,
            Owner = owner,
            Service = s,
            State = seen[s].State,
            ExitCode = seen[s].ExitCode,
        })];
    }
}
