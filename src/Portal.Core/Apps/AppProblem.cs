namespace Portal.Core.Apps;

/// <summary>One reason an app file is refused: where it is in the file, which key, and why.</summary>
/// <param name="Line">The 1-based line in the file (0 when the problem is not at one place, e.g. a quota).</param>
/// <param name="Key">The key's path, e.g. <c>services.web.privileged</c>; empty for the whole file.</param>
/// <param name="Message">A sentence for the person who wrote the file.</param>
public sealed record AppProblem(int Line, string Key, string Message)
{
    /// <inheritdoc />
    public override string ToString() => Line > 0
        ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"line {Line}: {Key}: {Message}")
        : (Key.Length > 0 ? $"{Key}: {Message}" : Message);
}
