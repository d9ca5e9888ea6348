using System.Diagnostics;
using System.Text.Json;

namespace Portal.Launcher.Tests.Unit;

/// <summary>
/// deploy/gpu-policy.sh, which writes the policy's GPUs at install, against recorded nvidia-smi output (the MIG captures
/// in tests/Portal.Core.Tests/TestData/nvidia-smi): a MIG-enabled GPU becomes its instances, by MIG UUID, with the
/// access nodes of their GPU and compute instances; a GPU without MIG stays one entry.
/// </summary>
public sealed class GpuPolicyScriptTests : IDisposable
{
    private static readonly string Repo = FindRepo();
    private readonly string _dir = Directory.CreateTempSubdirectory("portal-gpu-policy-").FullName;

    [Fact]
    public void AnH100WithFourMigInstances_BecomesFourGpus_EachWithItsParentsNodeAndItsOwnCapabilityNodes()
    {
        List<JsonElement> gpus = Run("linux-x86_64__nvidia-h100-mig__590.48.01.txt",
            "gpu0/gi2/access 21", "gpu0/gi2/ci0/access 22", "gpu0/gi3/access 30", "gpu0/gi3/ci0/access 31",
            "gpu0/gi9/access 84", "gpu0/gi9/ci0/access 85", "gpu0/gi10/access 93", "gpu0/gi10/ci0/access 94");

        Assert.Equal(["MIG-00000000-0000-0000-0000-000000000000", "MIG-00000001-0000-0000-0000-000000000001",
            "MIG-00000002-0000-0000-0000-000000000002", "MIG-00000003-0000-0000-0000-000000000003"], gpus.Select(g => g.GetProperty("id").GetString()));
        Assert.All(gpus, g => Assert.Equal("/dev/nvidia0", g.GetProperty("node").GetString()));
        Assert.All(gpus, g => Assert.Equal(g.GetProperty("id").GetString(), g.GetProperty("visibleId").GetString()));
        Assert.Equal(["/dev/nvidia-caps/nvidia-cap84", "/dev/nvidia-caps/nvidia-cap85"],
            gpus[2].GetProperty("caps").EnumerateArray().Select(c => c.GetString()));
    }

    [Fact]
    public void AGpuWithoutMig_IsOneEntryByItsUuid_WithoutCaps()
    {
        JsonElement gpu = Assert.Single(Run("linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01.txt"));

        Assert.StartsWith("GPU-", gpu.GetProperty("id").GetString(), StringComparison.Ordinal);
        Assert.False(gpu.TryGetProperty("caps", out _));
    }

    [Fact]
    public void TwoComputeInstancesOfOneGpuInstance_ShareItsAccessNode_AndEachHasItsOwn()
    {
        List<JsonElement> gpus = Run("linux-x86_64__nvidia-h200-mig__590.48.01.txt",
            "gpu0/gi2/access 21", "gpu0/gi2/ci0/access 22", "gpu0/gi2/ci1/access 23", "gpu0/gi3/access 30", "gpu0/gi3/ci0/access 31",
            "gpu0/gi9/access 84", "gpu0/gi9/ci0/access 85", "gpu0/gi10/access 93", "gpu0/gi10/ci0/access 94");

        Assert.Equal(5, gpus.Count);
        Assert.Equal(["/dev/nvidia-caps/nvidia-cap21", "/dev/nvidia-caps/nvidia-cap22"], gpus[0].GetProperty("caps").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(["/dev/nvidia-caps/nvidia-cap21", "/dev/nvidia-caps/nvidia-cap23"], gpus[1].GetProperty("caps").EnumerateArray().Select(c => c.GetString()));
    }

    [Fact]
    public void AMigInstanceWithoutCapabilityMinors_IsLeftOut_NotGivenWithoutItsNodes()
    {
        Assert.Empty(Run("linux-x86_64__nvidia-h200-mig__590.48.01.txt"));
    }

    /// <summary>Runs the script with an nvidia-smi that replays the capture's -L and first -q sections.</summary>
    private List<JsonElement> Run(string capture, params string[] migMinors)
    {
        string[] lines = File.ReadAllLines(Path.Combine(Repo, "tests/Portal.Core.Tests/TestData/nvidia-smi", capture));
        File.WriteAllLines(_dir + "/L", Section(lines, "# $ nvidia-smi -L"));
        File.WriteAllLines(_dir + "/q", Section(lines, "# $ nvidia-smi -q"));
        File.WriteAllLines(_dir + "/minors", migMinors);
        File.WriteAllText(_dir + "/nvidia-smi", $"#!/bin/sh\ncase \"$1\" in -L) cat {_dir}/L;; -q) cat {_dir}/q;; esac\n");
        File.SetUnixFileMode(_dir + "/nvidia-smi", (UnixFileMode)0x1ED);

        var start = new ProcessStartInfo(Path.Combine(Repo, "deploy/gpu-policy.sh")) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["NVIDIA_SMI"] = _dir + "/nvidia-smi";
        start.Environment["MIG_MINORS"] = _dir + "/minors";
        using var script = Process.Start(start)!;
        string output = script.StandardOutput.ReadToEnd();
        script.WaitForExit();
        Assert.True(script.ExitCode == 0, script.StandardError.ReadToEnd());
        return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone())];
    }

    /// <summary>The first section after <paramref name="header"/>: from the line after the header's closing rule to the next rule.</summary>
    private static IEnumerable<string> Section(string[] lines, string header) =>
        lines.SkipWhile(l => l.TrimEnd() != header).Skip(2).TakeWhile(l => !l.StartsWith("#####", StringComparison.Ordinal));

    private static string FindRepo()
    {
        string repo = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(repo, "Portal.sln")))
        {
            repo = Path.GetDirectoryName(repo)!;
        }

        return repo;
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
