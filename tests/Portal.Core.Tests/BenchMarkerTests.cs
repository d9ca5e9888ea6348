using System.Text.RegularExpressions;

namespace Portal.Core.Tests;

/// <summary>
/// Code that exists for a benchmark says so ("Bench: bench/FOLDER, target ..."), and that bench's README lists it
/// (bench/README.md): neither can drift from the other unnoticed.
/// </summary>
public sealed partial class BenchMarkerTests
{
    private static readonly string Repository = FindRepository();

    /// <summary>Where marked code lives: the product and its deployment files.</summary>
    private static readonly string[] MarkedTrees = ["src", "deploy"];

    public static TheoryData<string, string> Markers()
    {
        var markers = new TheoryData<string, string>();
        foreach (string file in MarkedTrees.SelectMany(d => Directory.EnumerateFiles(Path.Combine(Repository, d), "*", SearchOption.AllDirectories)))
        {
            string relative = Path.GetRelativePath(Repository, file);
            if (relative.Split('/').Any(part => part is "bin" or "obj" or "node_modules") || file.EndsWith(".dll", StringComparison.Ordinal))
            {
                continue;
            }

            foreach (Match marker in MarkerPattern().Matches(File.ReadAllText(file)))
            {
                markers.Add(relative, marker.Groups[1].Value);
            }
        }

        return markers;
    }

    [Fact]
    public void The_code_the_benchmarks_keep_is_marked() => Assert.True(Markers().Count >= 10, $"{Markers().Count} markers");

    [Theory]
    [MemberData(nameof(Markers))]
    public void A_marker_names_a_bench_whose_README_lists_the_marked_file(string file, string bench)
    {
        string readme = Path.Combine(Repository, bench, "README.md");

        Assert.True(File.Exists(readme), $"{file} names {bench}, which has no README.md");
        Assert.Contains($"`{file}`", File.ReadAllText(readme), StringComparison.Ordinal);
    }

    private static string FindRepository()
    {
        string directory = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(directory, "Portal.sln")))
        {
            directory = Path.GetDirectoryName(directory) ?? throw new InvalidOperationException("Portal.sln not found above the test binaries.");
        }

        return directory;
    }

    [GeneratedRegex(@"Bench: (bench/[a-z-]+), target ")]
    private static partial Regex MarkerPattern();
}
