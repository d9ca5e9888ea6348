using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Portal.Bench.Dashboard;

/// <summary>
/// The portal's live managed heap, read from outside with <c>dotnet-gcdump</c> (a .NET global tool), so the product
/// needs no endpoint for it. Collecting a dump induces a full blocking GC and walks what survives it: the figure is
/// the managed heap after a full GC. The dump stays on disk (its type table shows where the bytes are).
/// </summary>
internal static partial class ManagedHeap
{
    /// <summary>The tool's path, or null when it is not installed (<c>dotnet tool install -g dotnet-gcdump</c>).</summary>
    public static string? FindTool()
    {
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var candidates = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Append(Path.Combine(home, ".dotnet", "tools"))
            .Select(folder => Path.Combine(folder, "dotnet-gcdump"));
        return candidates.FirstOrDefault(File.Exists);
    }

    /// <summary>Live managed bytes after a full GC of process <paramref name="pid"/>; the dump is written to <paramref name="dumpPath"/>.</summary>
    public static async Task<long> LiveBytesAsync(string tool, int pid, string dumpPath)
    {
        await RunAsync(tool, ["collect", "-p", pid.ToString(CultureInfo.InvariantCulture), "-o", dumpPath]);
        var report = await RunAsync(tool, ["report", dumpPath]);
        return HeapBytesLine().Match(report) is { Success: true } match
            ? long.Parse(match.Groups["bytes"].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture)
            : throw new InvalidOperationException($"No 'GC Heap bytes' line in the dotnet-gcdump report:\n{report}");
    }

    private static async Task<string> RunAsync(string tool, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {tool}.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{tool} {string.Join(' ', info.ArgumentList)} exited with {process.ExitCode}: {await error}");
        }

        return await output;
    }

    [GeneratedRegex(@"^\s*(?<bytes>[\d,]+)\s+GC Heap bytes", RegexOptions.Multiline)]
    private static partial Regex HeapBytesLine();
}
