namespace Portal.Core.Gpus;

/// <summary>Finds a program on a PATH-style search list the way a shell would, without starting a shell.</summary>
public static class ExecutableLocator
{
    /// <summary>The full path of the first executable file named <paramref name="name"/> in
    /// <paramref name="searchPath"/> (colon-separated), or null when there is none.</summary>
    public static string? Find(string name, string? searchPath)
    {
        if (string.IsNullOrEmpty(searchPath))
        {
            return null;
        }

        foreach (var directory in searchPath.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, name);
            if (IsExecutableFile(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static bool IsExecutableFile(string path)
    {
        if (!File.Exists(path))
        {
            return false;
        }

        if (OperatingSystem.IsWindows())
        {
            return true;
        }

        const UnixFileMode anyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        return (File.GetUnixFileMode(path) & anyExecute) != 0;
    }
}
