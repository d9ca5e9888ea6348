namespace Portal.Web.Tests.Infrastructure;

internal static class TestNames
{
    public const string Password = "Correct-Horse-42-Battery";

    /// <summary>A user name no other test in the same database uses.</summary>
    public static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..8]}";
}
