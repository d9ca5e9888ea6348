using System.Globalization;
using Portal.Core.Gpus;

namespace Portal.Web.Tests.Components.Gpus;

/// <summary>One GPU of a fake box: which capture it replays and, optionally, real PIDs to report for its processes
/// (so the portal can resolve an owner through /proc).</summary>
public sealed record FakeGpu(string Capture, IReadOnlyList<int>? Pids = null);

/// <summary>
/// A fake <c>nvidia-smi</c> in a temporary folder that replays captures of several one-GPU machines as one box:
/// each GPU renumbered, with its own UUID and PCI address. The looping query alternates the captures' idle and
/// load rounds at the <c>-lms</c> interval it is given, so values change like a live GPU's. Any other argument
/// list is refused, as in the core tests' fake.
/// </summary>
public sealed class FakeGpuBox : IDisposable
{
    private FakeGpuBox(string folder, IReadOnlyList<string> uuids)
    {
        Folder = folder;
        Uuids = uuids;
    }

    /// <summary>The folder holding the fake <c>nvidia-smi</c>.</summary>
    public string Folder { get; }

    /// <summary>The GPUs' UUIDs, by index.</summary>
    public IReadOnlyList<string> Uuids { get; }

    /// <summary>The value for <c>Portal:Gpus:SearchPath</c>: this folder, then the system folders for sh, cat, sleep and awk.</summary>
    public string SearchPath => Folder + ":/usr/bin:/bin";

    /// <param name="gpus">The GPUs, by index.</param>
    /// <param name="uuids">Their UUIDs (e.g. those a launcher policy names); by default made up from the index.</param>
    public static FakeGpuBox Create(IReadOnlyList<FakeGpu> gpus, IReadOnlyList<string>? uuids = null)
    {
        ArgumentNullException.ThrowIfNull(gpus);
        var folder = Directory.CreateTempSubdirectory("fake-gpu-box-").FullName;
        uuids ??= gpus.Select((_, i) => GpuCaptures.Uuid(i)).ToList();
        var count = gpus.Count.ToString(CultureInfo.InvariantCulture);
        foreach (var phase in new[] { "idle", "load" })
        {
            var rows = gpus.SelectMany((gpu, i) => GpuCaptures.ProjectNoUnits(
                GpuCaptures.QueryGpu(gpu.Capture, phase),
                NvidiaSmiGpuQuery.Fields,
                new Dictionary<string, string>
                {
                    ["index"] = i.ToString(CultureInfo.InvariantCulture),
                    ["uuid"] = uuids[i],
                    ["count"] = count,
                    ["pci.bus_id"] = string.Create(CultureInfo.InvariantCulture, $"00000000:{0x17 + i:X2}:00.0"),
                }));
            File.WriteAllText(Path.Combine(folder, $"gpu-{phase}.csv"), string.Concat(rows.Select(r => r + "\n")));
        }

        File.WriteAllText(Path.Combine(folder, "list.txt"), string.Concat(gpus.Select((gpu, i) => ListOf(gpu, i, uuids[i]))));
        File.WriteAllText(Path.Combine(folder, "apps.csv"), string.Concat(gpus.SelectMany((gpu, i) => AppsOf(gpu, uuids[i]))));
        WriteScript(folder);
        return new FakeGpuBox(folder, uuids);
    }

    public void Dispose() => Directory.Delete(Folder, recursive: true);

    /// <summary>
    /// Rewrites the fake's two rounds: the idle round holds the idle row of each GPU in <paramref name="idle"/>, the
    /// load round the idle row of each GPU in <paramref name="load"/>, or its load row for those also in
    /// <paramref name="loadFromLoadRound"/>. An empty round is a gap in sampling (the sampler publishes whole rounds
    /// only). Swapped by rename, so the fake never reads half a file.
    /// </summary>
    public void SetRounds(IReadOnlyList<string> idle, IReadOnlyList<string> load, IReadOnlyList<string>? loadFromLoadRound = null)
    {
        ArgumentNullException.ThrowIfNull(idle);
        ArgumentNullException.ThrowIfNull(load);
        var idleRows = OriginalRows("gpu-idle.csv");
        var loadRows = OriginalRows("gpu-load.csv");
        loadFromLoadRound ??= [];
        Replace("gpu-idle.csv", string.Concat(idle.Select(g => RowOf(idleRows, g))));
        Replace("gpu-load.csv", string.Concat(load.Select(g => loadFromLoadRound.Contains(g) ? RowOf(loadRows, g) : RowOf(idleRows, g))));
    }

    private string OriginalRows(string name)
    {
        var kept = Path.Combine(Folder, name + ".original");
        if (!File.Exists(kept))
        {
            File.Copy(Path.Combine(Folder, name), kept);
        }

        return File.ReadAllText(kept);
    }

    private static string RowOf(string rows, string uuid) =>
        rows.Split('\n', StringSplitOptions.RemoveEmptyEntries).Single(r => r.Contains(uuid, StringComparison.Ordinal)) + "\n";

    private void Replace(string name, string content)
    {
        var temporary = Path.Combine(Folder, name + ".new");
        File.WriteAllText(temporary, content);
        File.Move(temporary, Path.Combine(Folder, name), overwrite: true);
    }

    private static string ListOf(FakeGpu gpu, int index, string uuid)
    {
        // "GPU 0: NAME (UUID: GPU-000...)" plus any "  MIG ..." lines under it.
        var lines = GpuCaptures.List(gpu.Capture).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return string.Concat(lines.Select(line => line.StartsWith("GPU ", StringComparison.Ordinal)
            ? string.Create(CultureInfo.InvariantCulture, $"GPU {index}:{line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..line.LastIndexOf("(UUID:", StringComparison.Ordinal)]}(UUID: {uuid})\n")
            : line + "\n"));
    }

    private static IEnumerable<string> AppsOf(FakeGpu gpu, string uuid)
    {
        var rows = GpuCaptures.ProjectNoUnits(
            GpuCaptures.ComputeApps(gpu.Capture, "load"), NvidiaSmiComputeAppsQuery.Fields,
            new Dictionary<string, string> { ["gpu_uuid"] = uuid }).ToList();
        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            if (gpu.Pids is { } pids && i < pids.Count)
            {
                var fields = row.Split(", ");
                fields[1] = pids[i].ToString(CultureInfo.InvariantCulture);
                row = string.Join(", ", fields);
            }

            yield return row + "\n";
        }
    }

    private static void WriteScript(string folder)
    {
        var script = $$"""
            #!/bin/sh
            dir=$(dirname "$0")
            case "$*" in
              "-L") cat "$dir/list.txt" ;;
              "--query-gpu={{NvidiaSmiGpuQuery.FieldList}} --format=csv,noheader,nounits -lms "*)
                pause=$(awk "BEGIN { print $4 / 1000 }")
                while :; do cat "$dir/gpu-idle.csv"; sleep "$pause"; cat "$dir/gpu-load.csv"; sleep "$pause"; done ;;
              "--query-compute-apps={{NvidiaSmiComputeAppsQuery.FieldList}} --format=csv,noheader,nounits") cat "$dir/apps.csv" ;;
              *) echo "fake nvidia-smi: unexpected arguments: $*" >&2; exit 2 ;;
            esac
            """;
        var path = Path.Combine(folder, "nvidia-smi");
        File.WriteAllText(path, script.Replace("\r", "", StringComparison.Ordinal) + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }
}
