using Portal.Core.Gpus;

namespace Portal.Core.Tests.Gpus;

/// <summary>
/// A fake <c>nvidia-smi</c> script in a temporary folder that is put first on the sampler's search path. It replays
/// prepared output and refuses any argument list other than the ones the portal is meant to use.
/// </summary>
internal sealed class FakeNvidiaSmi : IDisposable
{
    private FakeNvidiaSmi(string folder) => Folder = folder;

    public string Folder { get; }

    /// <summary>This folder first, then the test process's PATH (for sh, cat and sleep).</summary>
    public string SearchPath => Folder + ":" + Environment.GetEnvironmentVariable("PATH");

    /// <summary>A fake that loops over <paramref name="gpuRows"/> like <c>-lms</c> does until it is killed, or, with
    /// <paramref name="exitAfterOneRound"/>, prints one round and dies like a driver crash.</summary>
    public static FakeNvidiaSmi Create(
        IEnumerable<string> gpuRows, string listOutput, IEnumerable<string>? computeAppRows = null, bool exitAfterOneRound = false,
        bool hangOnList = false)
    {
        var folder = Directory.CreateTempSubdirectory("fake-nvidia-smi-").FullName;
        File.WriteAllText(Path.Combine(folder, "gpu.csv"), string.Join('\n', gpuRows) + "\n");
        File.WriteAllText(Path.Combine(folder, "list.txt"), listOutput);
        File.WriteAllText(Path.Combine(folder, "apps.csv"), string.Concat((computeAppRows ?? []).Select(r => r + "\n")));
        var loop = exitAfterOneRound
            ? "cat \"$dir/gpu.csv\"; echo 'Unable to determine the device handle for GPU0000:83:00.0: GPU is lost.' >&2; exit 15"
            : "while :; do cat \"$dir/gpu.csv\"; sleep 0.05; done";
        var script = $$"""
            #!/bin/sh
            dir=$(dirname "$0")
            case "$*" in
              "-L") {{(hangOnList ? "exec sleep 600" : "cat \"$dir/list.txt\"")}} ;;
              "--query-gpu={{NvidiaSmiGpuQuery.FieldList}} --format=csv,noheader,nounits -lms "*) {{loop}} ;;
              "--query-compute-apps={{NvidiaSmiComputeAppsQuery.FieldList}} --format=csv,noheader,nounits") cat "$dir/apps.csv" ;;
              *) echo "fake nvidia-smi: unexpected arguments: $*" >&2; exit 2 ;;
            esac
            """;
        var path = Path.Combine(folder, "nvidia-smi");
        File.WriteAllText(path, script.Replace("\r", "", StringComparison.Ordinal) + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return new FakeNvidiaSmi(folder);
    }

    /// <summary>A fake box made of one capture in one phase.</summary>
    public static FakeNvidiaSmi FromCapture(string capture, string phase, bool exitAfterOneRound = false, bool hangOnList = false) =>
        Create(
            Captures.ProjectNoUnits(Captures.QueryGpu(capture, phase), NvidiaSmiGpuQuery.Fields),
            Captures.List(capture),
            Captures.ProjectNoUnits(Captures.ComputeApps(capture, phase), NvidiaSmiComputeAppsQuery.Fields),
            exitAfterOneRound,
            hangOnList);

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}
