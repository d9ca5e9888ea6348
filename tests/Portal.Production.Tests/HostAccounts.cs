using System.Globalization;
using Portal.Web.Tests.Jobs;

namespace Portal.Production.Tests;

/// <summary>A Linux account on this host, as the tests need it.</summary>
public sealed record HostAccount(string Name, uint Uid, uint Gid, string Home)
{
    public static async Task<HostAccount> ReadAsync(string name)
    {
        var fields = (await Sh.CheckedAsync("/usr/bin/getent", "passwd", name)).Trim().Split(':');
        return new HostAccount(name, uint.Parse(fields[2], CultureInfo.InvariantCulture), uint.Parse(fields[3], CultureInfo.InvariantCulture), fields[5]);
    }

    /// <summary>Runs podman as this account with the clean environment the launcher gives it.</summary>
    public Task<ShResult> PodmanAsync(params string[] args) =>
        Sh.RunAsync("/usr/bin/setpriv", ["--reuid", N(Uid), "--regid", N(Gid), "--init-groups", "--",
            "/usr/bin/env", "-i", "HOME=" + Home, "USER=" + Name, "LOGNAME=" + Name, "PATH=/usr/bin:/bin",
            "XDG_RUNTIME_DIR=/run/user/" + N(Uid), "LANG=C.UTF-8", "/usr/bin/podman", .. args]);

    public static string N(uint id) => id.ToString(CultureInfo.InvariantCulture);
}
