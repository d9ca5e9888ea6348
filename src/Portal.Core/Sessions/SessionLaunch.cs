using System.Globalization;
using Portal.Launcher.Protocol;

namespace Portal.Core.Sessions;

/// <summary>
/// The argv and environment a session's container starts with. Built when the job starts, not when it is submitted:
/// Jupyter's base URL holds the job id, which the database assigns.
/// </summary>
public static class SessionLaunch
{
    /// <summary>The command a Jupyter session runs when the person gives none (JupyterLab 3/4 images).</summary>
    public static readonly IReadOnlyList<string> DefaultJupyter = ["jupyter", "lab"];

    /// <summary>The command a VS Code session runs when the person gives none.</summary>
    public static readonly IReadOnlyList<string> DefaultVsCode = ["code-server"];

    /// <summary>The session's path in the portal, e.g. <c>/s/42/</c>.</summary>
    public static string BasePath(long jobId) => "/s/" + jobId.ToString(CultureInfo.InvariantCulture) + "/";

    /// <summary>
    /// The session's full command: the person's (or the kind's default) followed by the options that put the app on the
    /// session socket. Jupyter gets its options under both ServerApp (Jupyter Server, Lab, Notebook 7) and NotebookApp
    /// (Notebook 6): each reads its own and ignores the other. Its token is off, so that its own XSRF and WebSocket
    /// Origin checks stay on (it skips them for token-authenticated requests); the portal is the authentication.
    /// </summary>
    public static IReadOnlyList<string> Command(SessionApp app, IReadOnlyList<string> command, long jobId)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(command);
        string socket = SessionRules.SocketInContainer;
        switch (app.Kind)
        {
            case SessionKind.Jupyter:
                List<string> jupyter = [.. command.Count > 0 ? command : DefaultJupyter, "--no-browser", "--allow-root"];
                foreach (string cls in new[] { "ServerApp", "NotebookApp" })
                {
                    jupyter.AddRange([
                        $"--{cls}.sock={socket}", $"--{cls}.sock_mode=0660", $"--{cls}.base_url={BasePath(jobId)}",
                        $"--{cls}.token=", $"--{cls}.password=", $"--{cls}.allow_remote_access=True",
                    ]);
                }

                return jupyter;
            case SessionKind.VsCode:
                return [.. command.Count > 0 ? command : DefaultVsCode, "--socket", socket, "--socket-mode", "660",
                    "--auth", "none", "--disable-update-check", "--disable-telemetry"];
            default:
                return command;
        }
    }

    /// <summary>Variables every session app gets, so a custom app can find its socket and base path.</summary>
    public static IReadOnlyDictionary<string, string> Environment(long jobId) => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["PORTAL_SESSION_SOCKET"] = SessionRules.SocketInContainer,
        ["PORTAL_SESSION_BASE_URL"] = BasePath(jobId),
    };

    /// <summary>The launcher's session section.</summary>
    public static SessionSpec Spec(SessionApp app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return new SessionSpec { BridgePort = app.Kind == SessionKind.WebApp ? app.Port : null };
    }
}
