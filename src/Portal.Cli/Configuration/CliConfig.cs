using System.Text.Json;
using System.Text.Json.Serialization;

namespace Portal.Cli.Configuration;

/// <summary>Where and with which token the command talks to the portal.</summary>
public sealed record CliSettings(string Url, string Token);

/// <summary>
/// The login, kept in <c>$XDG_CONFIG_HOME/portal/config.json</c> (default <c>~/.config/portal</c>): the folder 0700,
/// the file 0600 from the moment it exists, since the token acts as the user. <c>PORTAL_URL</c> and
/// <c>PORTAL_TOKEN</c> override the file (for CI jobs that hold the token in a secret).
/// </summary>
public static class CliConfig
{
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public static string Directory
    {
        get
        {
            var xdg = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME");
            var root = string.IsNullOrEmpty(xdg) || !Path.IsPathRooted(xdg)
                ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config")
                : xdg;
            return Path.Combine(root, "portal");
        }
    }

    public static string FilePath => Path.Combine(Directory, "config.json");

    /// <summary>The settings, or null with the reason when there are none.</summary>
    public static (CliSettings? Settings, string? Problem) Load()
    {
        var url = Environment.GetEnvironmentVariable("PORTAL_URL");
        var token = Environment.GetEnvironmentVariable("PORTAL_TOKEN");
        if (!string.IsNullOrEmpty(url) && !string.IsNullOrEmpty(token))
        {
            return (new CliSettings(url, token), null);
        }

        StoredConfig? stored = null;
        if (File.Exists(FilePath))
        {
            try
            {
                stored = JsonSerializer.Deserialize(File.ReadAllText(FilePath), CliJsonContext.Default.StoredConfig);
            }
            catch (JsonException)
            {
                return (null, $"{FilePath} is not valid; run `portal login` again.");
            }
        }

        url = string.IsNullOrEmpty(url) ? stored?.Url : url;
        token = string.IsNullOrEmpty(token) ? stored?.Token : token;
        return string.IsNullOrEmpty(url) || string.IsNullOrEmpty(token)
            ? (null, "Not logged in: run `portal login --url URL` (or set PORTAL_URL and PORTAL_TOKEN).")
            : (new CliSettings(url, token), null);
    }

    public static void Save(CliSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        System.IO.Directory.CreateDirectory(Directory, OwnerOnlyDirectory);
        File.SetUnixFileMode(Directory, OwnerOnlyDirectory);
        var temporary = FilePath + ".tmp";
        File.Delete(temporary);
        // Created 0600, written, then moved over the old file: never readable by others, never half written.
        using (var stream = new FileStream(temporary, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = OwnerOnlyFile,
        }))
        {
            JsonSerializer.Serialize(stream, new StoredConfig(settings.Url, settings.Token), CliJsonContext.Default.StoredConfig);
        }

        File.Move(temporary, FilePath, overwrite: true);
    }
}

/// <summary>The file's content.</summary>
public sealed record StoredConfig(string Url, string Token);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true)]
[JsonSerializable(typeof(StoredConfig))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
