using Portal.Launcher.Native;
using Portal.Launcher.Podman;
using Portal.Launcher.Policy;

namespace Portal.Launcher.Driver;

/// <summary>
/// Finds the loaded driver's user-space files as <c>nvidia-ctk cdi generate</c> does: the version from the kernel
/// module, the libraries from the loader cache (<c>ldconfig -p</c>) whose real file is named
/// <c>&lt;lib&gt;.so.&lt;version&gt;</c>, plus the driver's own list looked for in the library folders, its programs
/// and its firmware. Every path is resolved to its real file first, and a file is kept only when
/// <see cref="DriverLayout"/> names it a driver file and it is root's alone (<see cref="SafeFiles.CheckRootOwnedFile"/>):
/// nothing a user could write or point elsewhere ever reaches the policy.
/// </summary>
internal static class DriverDiscovery
{
    public sealed record Result(DriverPolicy? Driver, IReadOnlyList<string> Skipped);

    /// <summary>The loader cache's tool: /usr/sbin on a merged-/usr system (where /sbin is a symlink, which a trusted
    /// path may not hold), /sbin elsewhere.</summary>
    private static readonly string[] Ldconfigs = ["/usr/sbin/ldconfig", "/sbin/ldconfig"];

    /// <summary>The loaded driver's files on this host (under <see cref="BuildConstants.DriverRoot"/>, which only a
    /// test build sets, with its own loader cache).</summary>
    public static async Task<Result> DiscoverAsync()
    {
        string root = BuildConstants.DriverRoot;
        string ldconfig = Ldconfigs.FirstOrDefault(p => SafeFiles.StatPath(p, follow: false, out _) == 0) ?? Ldconfigs[^1];
        SafeFiles.CheckTrustedExecutable(ldconfig, 0);
        List<string> argv = root.Length == 0 ? [ldconfig, "-p"] : [ldconfig, "-p", "-C", root + "/etc/ld.so.cache"];
        ToolResult cache = await ToolProcess.RunAsync(argv, new Dictionary<string, string> { ["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin", ["LC_ALL"] = "C" },
            deadline: TimeSpan.FromSeconds(30));
        return cache.ExitCode == 0 ? Discover(root, cache.Stdout) : throw new IOException("ldconfig -p failed: " + cache.Stderr.Trim());
    }

    /// <summary>The driver's files under <paramref name="root"/> (empty: the host), with <paramref name="ldconfigOutput"/>
    /// the loader cache as <c>ldconfig -p</c> prints it. Driver null: no NVIDIA kernel module is loaded.</summary>
    public static Result Discover(string root, string ldconfigOutput)
    {
        string? version = DriverFileCheck.KernelVersion(root);
        if (version is null)
        {
            return new(null, []);
        }

        List<string> skipped = [];
        var libraries = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        IEnumerable<string> candidates = LoaderCache(ldconfigOutput)
            .Concat(DriverLayout.LibraryDirs.SelectMany(dir => DriverLayout.Libraries.Select(stem => $"{dir}/{stem}.so.{version}")));
        foreach (string candidate in candidates)
        {
            if (Resolve(root, candidate) is not { } real || DriverLayout.Inner(real, root) is not { } inner
                || !DriverLayout.LibraryDirs.Contains(Path.GetDirectoryName(inner)!)
                || DriverLayout.LibraryStem(Path.GetFileName(inner), version) is not { } stem
                || libraries.ContainsKey(real) || !Safe(real, skipped))
            {
                continue;
            }

            libraries[real] = LinksTo(root, real, stem);
        }

        List<DriverFile> files = [.. libraries.Select(l => new DriverFile { Path = l.Key, Links = [.. l.Value] })];
        foreach (string name in DriverLayout.Binaries)
        {
            string? real = DriverLayout.BinaryDirs.Select(dir => Resolve(root, $"{dir}/{name}")).FirstOrDefault(p => p is not null);
            if (real is not null && files.All(f => f.Path != real) && Keep(new DriverFile { Path = real }, version, root) && Safe(real, skipped))
            {
                files.Add(new DriverFile { Path = real });
            }
        }

        foreach (string dir in DriverLayout.FirmwareDirs(version))
        {
            if (Resolve(root, dir) is { } realDir && Directory.Exists(realDir))
            {
                foreach (string firmware in Directory.EnumerateFiles(realDir).Order(StringComparer.Ordinal))
                {
                    if (files.All(f => f.Path != firmware) && Keep(new DriverFile { Path = firmware }, version, root) && Safe(firmware, skipped))
                    {
                        files.Add(new DriverFile { Path = firmware });
                    }
                }
            }
        }

        return new(new DriverPolicy { Version = version, Files = files }, skipped);
    }

    /// <summary>The library paths of <c>ldconfig -p</c> ("\tlibcuda.so.1 (libc6,x86-64) => /lib/x86_64-linux-gnu/libcuda.so.1").</summary>
    public static IEnumerable<string> LoaderCache(string ldconfigOutput)
    {
        foreach (string line in ldconfigOutput.Split('\n'))
        {
            int arrow = line.IndexOf(" => ", StringComparison.Ordinal);
            if (arrow > 0 && line.StartsWith('\t') && line[(arrow + 4)..].Trim() is { Length: > 1 } path && path[0] == '/')
            {
                yield return path;
            }
        }
    }

    /// <summary>
    /// The real file a path names, every symlink of every component followed inside <paramref name="root"/> (an
    /// absolute link target is taken below the root, as in a chroot); null when it does not exist.
    /// </summary>
    public static string? Resolve(string root, string path)
    {
        var pending = new Stack<string>(path.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse());
        List<string> done = [];
        for (int links = 0; pending.Count > 0;)
        {
            string part = pending.Pop();
            if (part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                if (done.Count > 0)
                {
                    done.RemoveAt(done.Count - 1);
                }

                continue;
            }

            string here = root + "/" + string.Join('/', done.Append(part));
            string? target = new FileInfo(here).LinkTarget;
            if (target is null)
            {
                done.Add(part);
                continue;
            }

            if (++links > 40)
            {
                return null;
            }

            if (target.StartsWith('/'))
            {
                done.Clear();
            }

            foreach (string t in target.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse())
            {
                pending.Push(t);
            }
        }

        string real = root + "/" + string.Join('/', done);
        return File.Exists(real) || Directory.Exists(real) ? real : null;
    }

    /// <summary>The names in the file's folder that are symlinks to it and another name of its library (the soname,
    /// stem.so); libcuda.so and libcuda.so.1 always, as the NVIDIA runtime makes them.</summary>
    private static SortedSet<string> LinksTo(string root, string real, string stem)
    {
        string dir = Path.GetDirectoryName(real)!, name = Path.GetFileName(real);
        var links = new SortedSet<string>(StringComparer.Ordinal);
        foreach (string entry in Directory.EnumerateFileSystemEntries(dir, stem + ".so*"))
        {
            string link = Path.GetFileName(entry);
            if (DriverLayout.IsLinkName(link, stem, name) && new FileInfo(entry).LinkTarget is not null
                && Resolve(root, DriverLayout.Inner(entry, root)!) == real)
            {
                links.Add(link);
            }
        }

        if (stem == "libcuda")
        {
            links.UnionWith(["libcuda.so", "libcuda.so.1"]);
        }

        return links;
    }

    private static bool Keep(DriverFile file, string version, string root) => DriverLayout.Problem(file, version, root, out _) is null;

    private static bool Safe(string real, List<string> skipped)
    {
        try
        {
            SafeFiles.CheckRootOwnedFile(real);
            return true;
        }
        catch (UnsafeFileException e)
        {
            skipped.Add(e.Message);
            return false;
        }
    }
}
