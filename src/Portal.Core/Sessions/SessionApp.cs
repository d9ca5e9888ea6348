namespace Portal.Core.Sessions;

/// <summary>What serves an interactive session's page (docs/sessions.md, "Kinds of session").</summary>
public enum SessionKind
{
    /// <summary>Jupyter (Lab, Notebook or Server) on the session socket, with the session path as its base URL.</summary>
    Jupyter,

    /// <summary>VS Code in the browser (code-server) on the session socket, serving from "/".</summary>
    VsCode,

    /// <summary>Any web app: on the session socket itself, or on a TCP port inside the container behind sockbridge.</summary>
    WebApp,
}

/// <summary>The web app a session job serves through the portal.</summary>
/// <param name="Kind">What it is.</param>
/// <param name="Port">For a <see cref="SessionKind.WebApp"/> that listens on TCP only: its port on 127.0.0.1 inside
/// the container. Null when the app listens on the session socket.</param>
public sealed record SessionApp(SessionKind Kind, int? Port = null)
{
    /// <summary>Whether the app serves from "/" and must not see the session path (code-server).</summary>
    public bool StripsPrefix => Kind == SessionKind.VsCode;
}
