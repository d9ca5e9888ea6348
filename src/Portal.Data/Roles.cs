namespace Portal.Data;

/// <summary>The portal's two roles.</summary>
public static class Roles
{
    public const string Admin = "admin";
    public const string User = "user";

    public static IReadOnlyList<string> All { get; } = [Admin, User];
}
