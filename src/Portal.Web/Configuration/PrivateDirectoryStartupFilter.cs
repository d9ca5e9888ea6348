namespace Portal.Web.Configuration;

/// <summary>Creates a folder that only the portal's account may read, before anything writes secrets into it.</summary>
internal sealed class PrivateDirectoryStartupFilter(string path) : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next)
    {
        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return next;
    }
}
