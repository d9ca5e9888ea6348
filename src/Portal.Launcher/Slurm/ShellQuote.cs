using System.Text;

namespace Portal.Launcher.Slurm;

/// <summary>Quoting for the batch script: every value the request chose reaches bash as one literal word.</summary>
internal static class ShellQuote
{
    /// <summary>
    /// <paramref name="value"/> in single quotes, each <c>'</c> written as <c>'\''</c>. Inside single quotes bash
    /// expands nothing (no <c>$</c>, backquote, backslash or history), and a line break is part of the word, so the
    /// only way out of the quotes is a quote, which this closes, escapes and reopens. Values never hold NUL (the
    /// request validation refuses it).
    /// </summary>
    public static string Word(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("A shell word cannot hold NUL.", nameof(value));
        }

        return "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }

    /// <summary>The words separated by spaces, each quoted.</summary>
    public static string Words(IEnumerable<string> values)
    {
        var line = new StringBuilder();
        foreach (string value in values)
        {
            if (line.Length > 0)
            {
                line.Append(' ');
            }

            line.Append(Word(value));
        }

        return line.ToString();
    }
}
