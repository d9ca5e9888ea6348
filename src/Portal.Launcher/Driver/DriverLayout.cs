using System.Runtime.InteropServices;
using Portal.Launcher.Policy;
using Portal.Launcher.Protocol;

namespace Portal.Launcher.Driver;

/// <summary>
/// What counts as a file of the NVIDIA driver, and where a job gets it. Pure rules on names: the policy names only
/// files these allow, whoever wrote it (a typo, or an edit that would mount /etc/shadow into every GPU job, is
/// refused), and discovery writes only such files. Ownership and symlinks are <see cref="DriverFileCheck"/>'s.
/// </summary>
/// <remarks>The list follows what <c>nvidia-ctk cdi generate</c> mounts for compute (its driver library list and
/// binaries), so that a stock CUDA image finds what the NVIDIA runtime would have given it.</remarks>
internal static class DriverLayout
{
    /// <summary>The driver's compute libraries (file stems before ".so.&lt;version&gt;"), looked for in the library
    /// folders even when the loader cache does not list them.</summary>
    public static readonly IReadOnlyList<string> Libraries =
    [
        "libcuda", "libcudadebugger", "libnvidia-ml", "libnvidia-ptxjitcompiler", "libnvidia-nvvm", "libnvidia-opencl",
        "libnvidia-gpucomp", "libnvidia-allocator", "libnvidia-cfg", "libnvidia-pkcs11", "libnvidia-pkcs11-openssl3",
        "libnvidia-fatbinaryloader", "libnvidia-compiler", "libnvidia-opticalflow", "libnvcuvid", "libnvidia-encode",
        "libnvidia-nscq", "libnvidia-sandboxutils", "libnvidia-tls", "libnvidia-glcore", "libnvidia-glsi",
        "libnvidia-glvkspirv", "libnvidia-rtcore", "libnvoptix", "libnvidia-ngx",
    ];

    /// <summary>The driver's programs a job may call (nvidia-smi above all: CUDA images' health checks run it).</summary>
    public static readonly IReadOnlyList<string> Binaries =
        ["nvidia-smi", "nvidia-debugdump", "nvidia-persistenced", "nvidia-cuda-mps-control", "nvidia-cuda-mps-server"];

    /// <summary>The multiarch name of this machine (x86_64-linux-gnu), which CUDA images' loaders search.</summary>
    public static string Multiarch { get; } = RuntimeInformation.OSArchitecture == Architecture.Arm64 ? "aarch64-linux-gnu" : "x86_64-linux-gnu";

    /// <summary>Where the host keeps driver libraries: the standard folders and Debian's packaged-driver folder.</summary>
    public static IReadOnlyList<string> LibraryDirs { get; } =
    [
        $"/usr/lib/{Multiarch}", $"/usr/lib/{Multiarch}/nvidia/current", "/usr/lib64", "/usr/lib",
        $"/lib/{Multiarch}", $"/lib/{Multiarch}/nvidia/current", "/lib64", "/lib",
    ];

    /// <summary>Where the host keeps the driver's programs (Debian's packaged driver: /usr/lib/nvidia/current).</summary>
    public static readonly IReadOnlyList<string> BinaryDirs = ["/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/lib/nvidia/current"];

    /// <summary>Where a job finds the libraries: the folder a Debian or Ubuntu based image's loader searches.</summary>
    public static string LibraryTarget { get; } = $"/usr/lib/{Multiarch}";

    public const string BinaryTarget = "/usr/bin";

    /// <summary>The firmware folders of one driver version (GSP firmware), on the host and in the job alike.</summary>
    public static IReadOnlyList<string> FirmwareDirs(string version) => [$"/usr/lib/firmware/nvidia/{version}", $"/lib/firmware/nvidia/{version}"];

    public enum Kind { Library, Binary, Firmware }

    /// <summary>A driver version as the kernel module prints it: digits in dot-separated groups, e.g. 590.48.01.</summary>
    public static bool IsVersion(string? v) =>
        v is { Length: > 0 and <= 32 } && char.IsAsciiDigit(v[0]) && char.IsAsciiDigit(v[^1]) && !v.Contains("..", StringComparison.Ordinal)
        && v.All(c => char.IsAsciiDigit(c) || c == '.');

    /// <summary>The stem of a library file of this driver version (libcuda of libcuda.so.590.48.01), or null.</summary>
    public static string? LibraryStem(string fileName, string version)
    {
        string suffix = ".so." + version;
        if (!fileName.EndsWith(suffix, StringComparison.Ordinal))
        {
            return null;
        }

        string stem = fileName[..^suffix.Length];
        return stem.Length > 3 && stem.StartsWith("lib", StringComparison.Ordinal) && stem.All(IsNameChar) ? stem : null;
    }

    /// <summary>Another name of a library in its folder: stem.so or stem.so.N[.M...] (never the file's own name).</summary>
    public static bool IsLinkName(string link, string stem, string fileName)
    {
        if (link == fileName || !link.StartsWith(stem + ".so", StringComparison.Ordinal))
        {
            return false;
        }

        string rest = link[(stem.Length + 3)..];
        return rest.Length == 0 || (rest[0] == '.' && IsVersion(rest[1..]));
    }

    /// <summary>The host path without the driver root (the path the rules and the job see), or null outside it.</summary>
    public static string? Inner(string hostPath, string root) =>
        root.Length == 0 ? hostPath : hostPath.StartsWith(root + "/", StringComparison.Ordinal) ? hostPath[root.Length..] : null;

    /// <summary>Why <paramref name="file"/> is no file of driver <paramref name="version"/>, or null (with its kind).</summary>
    public static string? Problem(DriverFile file, string version, string root, out Kind kind)
    {
        kind = Kind.Library;
        if (!PathRules.IsMountPath(file.Path) || Inner(file.Path, root) is not { } inner)
        {
            return $"{UntrustedText.Printable(file.Path)} is not a clean absolute path" + (root.Length > 0 ? $" under {root}" : "");
        }

        string dir = Path.GetDirectoryName(inner)!, name = Path.GetFileName(inner);
        if (LibraryDirs.Contains(dir) && LibraryStem(name, version) is { } stem)
        {
            string? badLink = file.Links.FirstOrDefault(l => !IsLinkName(l, stem, name));
            return badLink is not null ? $"{file.Path}: '{UntrustedText.Printable(badLink)}' is not another name of {stem} ({stem}.so or {stem}.so.N)"
                : file.Links.Distinct(StringComparer.Ordinal).Count() != file.Links.Count ? $"{file.Path}: a link is named twice"
                : null;
        }

        if (BinaryDirs.Contains(dir) && Binaries.Contains(name))
        {
            kind = Kind.Binary;
        }
        else if (FirmwareDirs(version).Contains(dir) && name.Length > 0 && name[0] != '.' && name.All(IsNameChar))
        {
            kind = Kind.Firmware;
        }
        else
        {
            return $"{file.Path} is not a driver {version} library in {string.Join(", ", LibraryDirs)}, a driver program in {string.Join(", ", BinaryDirs)}, nor its firmware";
        }

        return file.Links.Count > 0 ? $"{file.Path}: only a library has links" : null;
    }

    /// <summary>Where the job sees <paramref name="file"/> (valid by <see cref="Problem"/>): the file itself, then its links.</summary>
    public static IEnumerable<string> Targets(DriverFile file, string version, string root)
    {
        _ = Problem(file, version, root, out Kind kind);
        string inner = Inner(file.Path, root)!, name = Path.GetFileName(inner);
        switch (kind)
        {
            case Kind.Library:
                yield return LibraryTarget + "/" + name;
                foreach (string link in file.Links)
                {
                    yield return LibraryTarget + "/" + link;
                }

                break;
            case Kind.Binary:
                yield return BinaryTarget + "/" + name;
                break;
            default:
                yield return "/lib/firmware/nvidia/" + version + "/" + name;
                break;
        }
    }

    private static bool IsNameChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '+' or '.';
}
