using System.Text;
using System.Text.Json;
using Portal.Launcher.Policy;

namespace Portal.Launcher.Tests.Unit;

/// <summary>The hand-written policy reader keeps the serializer's rules: exact names, nothing unknown, nothing twice, required fields present.</summary>
public sealed class PolicyReaderTests
{
    private const string Minimal = """
        {"version":1,"minUid":1000,"group":"portal-users","podman":"/usr/bin/podman","runtime":"runc",
         "pidsLimit":1024,"logMaxBytes":1048576,"auditLog":"/var/log/a.log"}
        """;

    private static LauncherPolicy Parse(string json) => PolicyReader.Parse(Encoding.UTF8.GetBytes(json));

    /// <summary>Minimal with <paramref name="field"/> (a "name":value fragment) added before the closing brace.</summary>
    private static string With(string field) => Minimal.TrimEnd()[..^1] + "," + field + "}";

    [Fact]
    public void TheShippedExample_ReadsInFull()
    {
        string repo = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(repo, "Portal.sln")))
        {
            repo = Path.GetDirectoryName(repo)!;
        }

        LauncherPolicy p = PolicyReader.Parse(File.ReadAllBytes(Path.Combine(repo, "deploy/launcher.json.example")));

        Assert.Equal((1, 1000u, "portal-users", "/usr/bin/podman", "runc"), (p.Version, p.MinUid, p.Group, p.Podman, p.Runtime));
        Assert.Equal([(null, true, false), ("/srv/projects", false, false), ("/srv/datasets", false, true)], p.MountRoots.Select(m => (m.Path, m.UserHome, m.ReadOnly)));
        Assert.Equal(["/dev/nvidia0", "/dev/nvidia1"], p.Gpus.Select(g => g.Node));
        Assert.Equal("nvidia.com/gpu=GPU-11111111-1111-1111-1111-111111111111", p.Gpus[1].Cdi);
        Assert.Null(p.Gpus[1].VisibleId);
        Assert.Equal(["/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools"], p.GpuControlNodes);
        Assert.Equal((1024L, 52428800L), (p.PidsLimit, p.LogMaxBytes));
        Assert.Equal((32.0, 262144L), (p.MaxCpus, p.MaxMemoryMiB));
        Assert.False(p.AllowNetwork || p.UseCdi || p.ManageDeviceAcls);
        Assert.Equal(("/var/log/portal-launcher/audit.log", "/run/portal-launcher", "/usr/bin/setfacl"), (p.AuditLog, p.StateDir, p.Setfacl));
        Assert.Equal(("portal", 30, "/usr/bin/conmon"), (p.CgroupParent, p.PodmanTimeoutSeconds, p.Conmon));
        Assert.Equal(("overlay", "/usr/bin/fuse-overlayfs"), (p.StorageDriver, p.FuseOverlayfs));
        Assert.Equal("portal", p.PamService);
        Assert.Equal(["portal"], p.PrivilegedGroups);
        Assert.Equal(["/home"], p.HomeRoots);
    }

    [Fact]
    public void TheAccountFields_AreRead()
    {
        LauncherPolicy p = Parse(With("\"pamService\":\"portal-lab\",\"privilegedGroups\":[\"gpu-admins\",\"backup\"],\"homeRoots\":[\"/home\",\"/nfs/home\"]"));

        Assert.Equal("portal-lab", p.PamService);
        Assert.Equal(["gpu-admins", "backup"], p.PrivilegedGroups);
        Assert.Equal(["/home", "/nfs/home"], p.HomeRoots);
        Assert.Contains("sudo", p.AllPrivilegedGroups);
        Assert.Contains("backup", p.AllPrivilegedGroups);
    }

    [Fact]
    public void OptionalFields_TakeTheirDefaults()
    {
        LauncherPolicy p = Parse(Minimal);

        Assert.Empty(p.MountRoots);
        Assert.Empty(p.Gpus);
        Assert.Empty(p.GpuControlNodes);
        Assert.Null(p.MaxCpus);
        Assert.Null(p.MaxMemoryMiB);
        Assert.Equal((LauncherPolicy.DefaultStateDir, LauncherPolicy.DefaultSetfacl), (p.StateDir, p.Setfacl));
        Assert.Equal(("portal", 0), (p.PamService, p.PrivilegedGroups.Count));
        Assert.Equal(["/home"], p.HomeRoots);
        Assert.Equal(("portal", 30, LauncherPolicy.OverlayStorage), (p.CgroupParent, p.PodmanTimeoutSeconds, p.StorageDriver));
    }

    [Fact]
    public void EndingForeignGpuProcesses_IsOffByDefault_AndReadWhenGiven()
    {
        LauncherPolicy off = Parse(Minimal);
        LauncherPolicy on = Parse(With("\"killGpuProcesses\":true,\"gpuProcessKillGraceSeconds\":12"));

        Assert.Equal((false, LauncherPolicy.DefaultGpuProcessKillGraceSeconds), (off.KillGpuProcesses, off.GpuProcessKillGraceSeconds));
        Assert.Equal((true, 12), (on.KillGpuProcesses, on.GpuProcessKillGraceSeconds));
    }

    [Fact]
    public void TheCgroupSettings_AreRead()
    {
        LauncherPolicy p = Parse(With("""
            "cgroupParent":"system.slice/portal-jobs.service","podmanTimeoutSeconds":5,"storageDriver":"vfs","conmon":"/opt/conmon","fuseOverlayfs":"/opt/fo"
            """));

        Assert.Equal(("system.slice/portal-jobs.service", 5, "vfs"), (p.CgroupParent, p.PodmanTimeoutSeconds, p.StorageDriver));
        Assert.Equal(("/opt/conmon", "/opt/fo"), (p.Conmon, p.FuseOverlayfs));
    }

    [Fact]
    public void CommentsAndNullOptionals_AreAccepted()
    {
        LauncherPolicy p = Parse("// the box's policy\n" + With("""/* no bound */ "maxCpus":null,"maxMemoryMiB":null,"gpus":[{"id":"0","node":"/dev/nvidia0","cdi":null,"visibleId":null}]"""));

        Assert.Null(p.MaxCpus);
        Assert.Null(p.Gpus[0].Cdi);
    }

    public static TheoryData<string, string, string> Refused() => new()
    {
        { "unknown top-level field", With("\"privileged\":true"), "unknown property 'privileged'" },
        { "a field of the removed provision-user", With("\"useradd\":\"/usr/sbin/useradd\""), "unknown property 'useradd'" },
        { "name in another case", Minimal.Replace("\"group\"", "\"Group\"", StringComparison.Ordinal), "unknown property 'Group'" },
        { "the old limit objects", Minimal.Replace("\"pidsLimit\":1024", "\"pids\":{\"default\":1024,\"max\":4096}", StringComparison.Ordinal), "unknown property 'pids'" },
        { "unknown field in a GPU", With("\"gpus\":[{\"id\":\"0\",\"node\":\"/dev/nvidia0\",\"mode\":\"rw\"}]"), "gpus[0]: unknown property 'mode'" },
        { "unknown field in a mount root", With("\"mountRoots\":[{\"path\":\"/srv\",\"propagation\":\"shared\"}]"), "mountRoots[0]: unknown property 'propagation'" },
        { "duplicated top-level field", With("\"podman\":\"/tmp/podman\""), "'podman' appears twice" },
        { "version missing", Minimal.Replace("\"version\":1,", "", StringComparison.Ordinal), "'version' is required" },
        { "minUid missing", Minimal.Replace("\"minUid\":1000,", "", StringComparison.Ordinal), "'minUid' is required" },
        { "group missing", Minimal.Replace("\"group\":\"portal-users\",", "", StringComparison.Ordinal), "'group' is required" },
        { "podman missing", Minimal.Replace("\"podman\":\"/usr/bin/podman\",", "", StringComparison.Ordinal), "'podman' is required" },
        { "runtime missing", Minimal.Replace("\"runtime\":\"runc\",", "", StringComparison.Ordinal), "'runtime' is required" },
        { "auditLog missing", Minimal.Replace(",\"auditLog\":\"/var/log/a.log\"", "", StringComparison.Ordinal), "'auditLog' is required" },
        { "pidsLimit missing", Minimal.Replace("\"pidsLimit\":1024,", "", StringComparison.Ordinal), "'pidsLimit' is required" },
        { "logMaxBytes as an object", Minimal.Replace("\"logMaxBytes\":1048576", "\"logMaxBytes\":{}", StringComparison.Ordinal), "logMaxBytes must be a whole number" },
        { "GPU without node", With("\"gpus\":[{\"id\":\"0\"}]"), "gpus[0]: 'node' is required" },
        { "group null", Minimal.Replace("\"portal-users\"", "null", StringComparison.Ordinal), "group must be a string (found null)" },
        { "version as a string", Minimal.Replace("\"version\":1", "\"version\":\"1\"", StringComparison.Ordinal), "version must be a whole number (found a string)" },
        { "version as a fraction", Minimal.Replace("\"version\":1", "\"version\":1.5", StringComparison.Ordinal), "version must be a whole number (found 1.5)" },
        { "negative minUid", Minimal.Replace("\"minUid\":1000", "\"minUid\":-1", StringComparison.Ordinal), "minUid must be a whole number from 0 to 4294967295 (found -1)" },
        { "boolean as a string", With("\"allowNetwork\":\"yes\""), "allowNetwork must be true or false" },
        { "mount roots as an object", With("\"mountRoots\":{}"), "mountRoots must be an array (found an object)" },
        { "control node as a number", With("\"gpuControlNodes\":[1]"), "gpuControlNodes[0] must be a string" },
        { "the policy as an array", "[]", "the policy must be an object" },
        { "a second value after the object", Minimal + "{}", "" },
        { "trailing comma", With("\"useCdi\":false,"), "" },
        { "truncated", Minimal[..^10], "" },
        { "empty", "", "" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void ABadPolicy_IsRefused_WithTheReason(string what, string json, string reason)
    {
        var e = Assert.ThrowsAny<JsonException>(() => Parse(json));

        Assert.True(e.Message.Contains(reason, StringComparison.Ordinal), $"{what}: {e.Message}");
    }
}
