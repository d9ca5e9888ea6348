using System.Globalization;
using System.Text.Json;
using Portal.Launcher.Protocol;

namespace Portal.Launcher.Tests.Infrastructure;

/// <summary>One launcher invocation as a test saw it.</summary>
public sealed record LauncherCall(int ExitCode, string Stdout, string Stderr, int Pid, LauncherResponse? Response, DateTime StartedAtUtc)
{
    public override string ToString() => $"launcher pid {Pid} exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
}

/// <summary>Starts the published launcher the way sudo would (as root, request on stdin) and reads what it left behind.</summary>
public static class LauncherRunner
{
    public static async Task<LauncherCall> RunAsync(LauncherFixture fixture, string request,
        IReadOnlyDictionary<string, string>? env = null, TestUser? asUser = null, string? inheritFdFrom = null)
    {
        DateTime started = DateTime.UtcNow;
        ShellResult r;
        if (asUser is not null)
        {
            // Dev mode: the launcher run directly by an unprivileged user.
            string policy = env?.GetValueOrDefault("PORTAL_LAUNCHER_POLICY") ?? "";
            r = await Shell.RunAsync("/usr/bin/setpriv", ["--reuid", asUser.Uid.ToString(CultureInfo.InvariantCulture),
                "--regid", asUser.Gid.ToString(CultureInfo.InvariantCulture), "--init-groups", "--",
                "/usr/bin/env", "-i", "HOME=" + asUser.Home, "PATH=/usr/bin:/bin", "PORTAL_LAUNCHER_POLICY=" + policy,
                "/bin/bash", "-c", "exec \"$0\"", fixture.LauncherPath], request, clearEnv: true);
            return Parse(r, started);
        }

        if (inheritFdFrom is not null)
        {
            // bash opens the file without close-on-exec: the launcher inherits descriptor 7.
            r = await Shell.RunAsync("/bin/bash", ["-c", "exec 7<\"$1\"; exec \"$0\"", fixture.LauncherPath, inheritFdFrom], request, env);
            return Parse(r, started);
        }

        r = await Shell.RunAsync(fixture.LauncherPath, [], request, env);
        return Parse(r, started);
    }

    private static LauncherCall Parse(ShellResult r, DateTime started)
    {
        LauncherResponse? response = null;
        try
        {
            response = JsonSerializer.Deserialize(r.Stdout, LauncherJsonContext.Default.LauncherResponse);
        }
        catch (JsonException)
        {
            // Log output is a raw stream, not JSON.
        }

        // setpriv, env and bash all exec: the pid the test started is the launcher's.
        return new LauncherCall(r.ExitCode, r.Stdout, r.Stderr, r.Pid, response, started);
    }

    /// <summary>The audit records written by the launcher of <paramref name="call"/> (same pid, written since it started).</summary>
    public static List<JsonElement> AuditRecords(LauncherCall call)
    {
        var records = new List<JsonElement>();
        DateTime since = call.StartedAtUtc - TimeSpan.FromMilliseconds(50);
        foreach (string line in File.ReadAllLines(LauncherFixture.AuditLogPath))
        {
            using var doc = JsonDocument.Parse(line);
            if (doc.RootElement.GetProperty("pid").GetInt32() == call.Pid && doc.RootElement.GetProperty("time").GetDateTimeOffset().UtcDateTime >= since)
            {
                records.Add(doc.RootElement.Clone());
            }
        }

        return records;
    }

    /// <summary>
    /// Files the podman stand-in wrote for processes started by (or exec'd as) the launcher of
    /// <paramref name="call"/>. Pids are reused, so only files written since that launcher started count
    /// (less a little slack for the file system's coarse clock).
    /// </summary>
    public static List<string> PodmanStarts(LauncherCall call)
    {
        string p = call.Pid.ToString(CultureInfo.InvariantCulture);
        DateTime since = call.StartedAtUtc - TimeSpan.FromMilliseconds(50);
        return [.. Directory.EnumerateFiles(LauncherFixture.SpawnDir, "*.argv")
            .Where(f => File.GetLastWriteTimeUtc(f) >= since)
            .Select(f => Path.GetFileName(f)[..^5])
            .Where(name => name.Split('-') is [string parent, string self] && (parent == p || self == p))
            .Select(name => Path.Combine(LauncherFixture.SpawnDir, name))];
    }

    /// <summary>The one podman start of <paramref name="call"/> whose subcommand is <paramref name="subcommand"/> (a run may
    /// first start a <c>podman version</c> that sets up the user's namespace).</summary>
    public static string PodmanStart(LauncherCall call, string subcommand) =>
        Assert.Single(PodmanStarts(call), s => File.ReadAllText(s + ".argv").Split('\0').Contains(subcommand));

    public static string Json(object request) => JsonSerializer.Serialize(request);

    /// <summary>A fresh job id, so tests never collide with each other or with earlier runs.</summary>
    public static string NewJob() => "t" + Guid.NewGuid().ToString("N")[..12];
}
