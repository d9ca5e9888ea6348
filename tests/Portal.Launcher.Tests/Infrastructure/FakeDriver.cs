using System.Globalization;

namespace Portal.Launcher.Tests.Infrastructure;

/// <summary>
/// A fake NVIDIA driver below <see cref="LauncherFixture.DriverRoot"/>, where the test launcher looks for one: the
/// kernel module's version file, a real shared object libcuda.so.&lt;version&gt; (soname libcuda.so.1, built here with
/// gcc) in the loader cache made by ldconfig, and a fake nvidia-smi program; all root's, as a driver install leaves
/// them. And a small glibc image whose probe program dlopens libcuda.so.1 by name, as CUDA does.
/// </summary>
public static class FakeDriver
{
    public const string GlibcImage = "localhost/ptest-glibc:latest";

    public const string Probe = "/usr/bin/driver-probe";

    public const string ProbeEnd = "end-of-probe";

    private const string Root = LauncherFixture.DriverRoot;

    public static string LibraryDir => Root + "/usr/lib/x86_64-linux-gnu";

    /// <summary>The fake driver's version: 0.0.&lt;n&gt;; its cuDriverGetVersion answers n.</summary>
    public static string Version(int n) => "0.0." + n.ToString(CultureInfo.InvariantCulture);

    /// <summary>Makes (or, for an upgrade, replaces) the fake driver of version 0.0.<paramref name="n"/>.</summary>
    public static async Task InstallAsync(int n)
    {
        string version = Version(n);
        foreach (string dir in new[] { LibraryDir, Root + "/usr/bin", Root + "/etc", Root + "/proc/driver/nvidia" })
        {
            Directory.CreateDirectory(dir);
        }

        foreach (string old in Directory.EnumerateFileSystemEntries(LibraryDir, "libcuda.so*"))
        {
            File.Delete(old);
        }

        string src = Path.Combine(Root, "src");
        Directory.CreateDirectory(src);
        await File.WriteAllTextAsync(src + "/libcuda.c", $"int cuDriverGetVersion(int *v) {{ *v = {n}; return 0; }}\n");
        await File.WriteAllTextAsync(src + "/smi.c", $"#include <stdio.h>\nint main(void) {{ puts(\"NVIDIA-SMI {version} (fake driver)\"); return 0; }}\n");
        await Shell.CheckedAsync("/usr/bin/gcc", "-shared", "-fPIC", "-Wl,-soname,libcuda.so.1", "-o", $"{LibraryDir}/libcuda.so.{version}", src + "/libcuda.c");
        await Shell.CheckedAsync("/usr/bin/gcc", "-o", Root + "/usr/bin/nvidia-smi", src + "/smi.c");
        Directory.Delete(src, recursive: true);
        await File.WriteAllTextAsync(Root + "/proc/driver/nvidia/version",
            $"NVRM version: NVIDIA UNIX x86_64 Kernel Module  {version}  Sun Dec  6 00:00:00 UTC 2026\nGCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n");
        await File.WriteAllTextAsync(Root + "/etc/ld.so.conf", "/usr/lib/x86_64-linux-gnu\n");

        // The host's loader cache and the soname link (libcuda.so.1 -> libcuda.so.<version>), as the driver's install runs ldconfig.
        await Shell.CheckedAsync("/sbin/ldconfig", "-r", Root);
        await Shell.CheckedAsync("/usr/bin/chown", "-R", "root:root", Root);
        await Shell.CheckedAsync("/usr/bin/chmod", "-R", "go-w", Root);
    }

    public static void Remove()
    {
        if (Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }
    }

    /// <summary>
    /// Imports the glibc image for <paramref name="user"/> (with the launcher's podman configuration): the host's
    /// loader and libc, busybox, an empty library folder and the probe, which says whether the loader finds
    /// libcuda.so.1 and what it answers, whether the library can be opened for writing, and runs nvidia-smi.
    /// </summary>
    public static async Task EnsureImageAsync(TestUser user)
    {
        if ((await Shell.AsUserAsync(user, LauncherFixture.PodmanConfigEnvironment, "/usr/bin/podman", "image", "exists", GlibcImage)).ExitCode == 0)
        {
            return;
        }

        string rootfs = Path.Combine(LauncherFixture.Root, "glibc-rootfs");
        if (Directory.Exists(rootfs))
        {
            Directory.Delete(rootfs, recursive: true);
        }

        foreach (string d in new[] { "bin", "lib64", "lib/x86_64-linux-gnu", "usr/bin", "usr/lib/x86_64-linux-gnu", "dev", "proc", "sys", "tmp", "etc", "root" })
        {
            Directory.CreateDirectory(Path.Combine(rootfs, d));
        }

        File.Copy("/bin/busybox", rootfs + "/bin/busybox");
        File.CreateSymbolicLink(rootfs + "/bin/sh", "busybox");
        File.Copy(RealPath("/lib64/ld-linux-x86-64.so.2"), rootfs + "/lib64/ld-linux-x86-64.so.2");
        File.Copy(RealPath("/lib/x86_64-linux-gnu/libc.so.6"), rootfs + "/lib/x86_64-linux-gnu/libc.so.6");
        File.WriteAllText(rootfs + "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
        string probe = rootfs + "/probe.c";
        File.WriteAllText(probe, ProbeSource);
        await Shell.CheckedAsync("/usr/bin/gcc", "-o", rootfs + Probe, probe);
        File.Delete(probe);
        await Shell.CheckedAsync("/usr/bin/chmod", "-R", "a+rX", rootfs);
        string tar = rootfs + ".tar";
        await Shell.CheckedAsync("/usr/bin/tar", "-C", rootfs, "-cf", tar, ".");
        Directory.Delete(rootfs, recursive: true);
        ShellResult r = await Shell.AsUserAsync(user, LauncherFixture.PodmanConfigEnvironment, "/usr/bin/podman", "import", "--change", "ENV PATH=/usr/bin:/bin", tar, GlibcImage);
        File.Delete(tar);
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException($"podman import of the glibc image as {user.Name} failed: {r}");
        }
    }

    private static string RealPath(string path) => new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path;

    private const string ProbeSource = """
        #include <dlfcn.h>
        #include <errno.h>
        #include <fcntl.h>
        #include <stdio.h>
        #include <string.h>
        #include <sys/wait.h>
        #include <unistd.h>

        int main(void)
        {
            setvbuf(stdout, NULL, _IONBF, 0);
            void *cuda = dlopen("libcuda.so.1", RTLD_NOW);
            if (cuda == NULL) {
                printf("dlopen libcuda.so.1: %s\n", dlerror());
            } else {
                int (*get)(int *) = (int (*)(int *))dlsym(cuda, "cuDriverGetVersion");
                int v = -1;
                get(&v);
                printf("dlopen libcuda.so.1: loaded, cuDriverGetVersion %d\n", v);
            }
            int fd = open("/usr/lib/x86_64-linux-gnu/libcuda.so.1", O_WRONLY);
            printf("open libcuda.so.1 for writing: %s\n", fd < 0 ? strerror(errno) : "opened");
            FILE *mounts = fopen("/proc/self/mountinfo", "r");
            char line[4096];
            while (mounts != NULL && fgets(line, sizeof line, mounts) != NULL) {
                if (strstr(line, " /usr/lib/x86_64-linux-gnu/libcuda") != NULL || strstr(line, " /usr/bin/nvidia-smi ") != NULL) {
                    printf("mount: %s", line);
                }
            }
            pid_t child = fork();
            if (child == 0) {
                execl("/usr/bin/nvidia-smi", "nvidia-smi", (char *)NULL);
                printf("exec nvidia-smi: %s\n", strerror(errno));
                _exit(127);
            }
            int status;
            waitpid(child, &status, 0);
            printf("end-of-probe\n");
            return 0;
        }

        """;
}
