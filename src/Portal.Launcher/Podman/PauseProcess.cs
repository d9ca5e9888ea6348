using System.Globalization;
using Portal.Launcher.Native;

namespace Portal.Launcher.Podman;

/// <summary>
/// Rootless podman keeps one long-lived process per user (<c>catatonit -P</c>) that holds the user namespace all
/// of the user's podman calls join. It stays in the cgroup of the podman call that made it, so that call must never
/// be the one that starts a job: the job's cgroup would never empty. The launcher makes sure it exists, from the
/// user's <c>calls</c> cgroup, before it moves into a job's.
/// </summary>
internal static class PauseProcess
{
    /// <summary>A pid file and a status are a few hundred bytes; a user's pid file that is larger is not podman's.</summary>
    private const int MaxBytes = 64 * 1024;

    /// <summary>
    /// Whether the process named by podman's pause.pid is alive and the user's. Run as the user: the file is in the
    /// user's runtime directory. A user who fakes it only makes podman create the pause process in their own job.
    /// </summary>
    public static bool IsRunning(uint uid, string runtimeDir)
    {
        try
        {
            string text = TextFiles.ReadAll(runtimeDir + "/libpod/tmp/pause.pid", MaxBytes).Trim();
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) || pid <= 1)
            {
                return false;
            }

            // A pause process that was killed but not yet reaped is a zombie: podman cannot join its namespaces.
            string[] status = TextFiles.ReadLines($"/proc/{pid}/status", MaxBytes);
            string? state = status.FirstOrDefault(l => l.StartsWith("State:", StringComparison.Ordinal));
            string? uidLine = status.FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal));
            return state is not null && !state.Contains("(zombie)", StringComparison.Ordinal) && !state.Contains("(dead)", StringComparison.Ordinal)
                && uidLine is not null && uidLine.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1] == uid.ToString(CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
