using System.Diagnostics.CodeAnalysis;

namespace Portal.Launcher.Protocol;

/// <summary>
/// The one definition of an acceptable Linux account name, shared by the portal and the launcher.
/// Debian's default NAME_REGEX: a lowercase letter or underscore first, then lowercase letters,
/// digits, '_' or '-'; at most 32 characters. Anything else (digits-only names that could be
/// read as UIDs, '#uid' forms, dots, '$' machine accounts, non-ASCII) is refused.
/// </summary>
public static class LinuxUserName
{
    /// <summary>The longest name accepted (useradd's limit on Linux).</summary>
    public const int MaxLength = 32;

    /// <summary>Returns true when <paramref name="name"/> matches the strict pattern.</summary>
    public static bool IsValid([NotNullWhen(true)] string? name) => Validate(name) is null;

    /// <summary>Returns null for a valid name, else a sentence saying what is wrong.</summary>
    public static string? Validate(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "The Linux user name is empty.";
        }

        if (name.Length > MaxLength)
        {
            return $"The Linux user name is longer than {MaxLength} characters.";
        }

        char first = name[0];
        if (!(first is >= 'a' and <= 'z' || first == '_'))
        {
            return "The Linux user name must start with a lowercase letter or '_'.";
        }

        foreach (char c in name)
        {
            if (!(c is >= 'a' and <= 'z' || c is >= '0' and <= '9' || c == '_' || c == '-'))
            {
                return "The Linux user name may contain only lowercase letters, digits, '_' and '-'.";
            }
        }

        return null;
    }
}
