using System.Text;

namespace Portal.Core.Apps;

/// <summary>
/// Splits compose's string form of <c>command</c> and <c>entrypoint</c> into argv items the way compose does: words
/// separated by blanks, single quotes literal, double quotes with backslash escapes, a backslash escaping the next
/// character. Nothing is expanded and no shell ever runs it.
/// </summary>
internal static class ShellWords
{
    /// <summary>The words, or null when a quote is left open or the line ends in a lone backslash.</summary>
    public static List<string>? Split(string text)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            switch (c)
            {
                case ' ' or '\t' or '\n' or '\r':
                    if (inWord)
                    {
                        words.Add(word.ToString());
                        word.Clear();
                        inWord = false;
                    }

                    break;
                case '\'':
                    var close = text.IndexOf('\'', i + 1);
                    if (close < 0)
                    {
                        return null;
                    }

                    word.Append(text, i + 1, close - i - 1);
                    i = close;
                    inWord = true;
                    break;
                case '"':
                    i++;
                    while (i < text.Length && text[i] != '"')
                    {
                        if (text[i] == '\\' && i + 1 < text.Length && text[i + 1] is '"' or '\\' or '$' or '`')
                        {
                            i++;
                        }

                        word.Append(text[i]);
                        i++;
                    }

                    if (i >= text.Length)
                    {
                        return null;
                    }

                    inWord = true;
                    break;
                case '\\':
                    if (i + 1 >= text.Length)
                    {
                        return null;
                    }

                    word.Append(text[++i]);
                    inWord = true;
                    break;
                default:
                    word.Append(c);
                    inWord = true;
                    break;
            }
        }

        if (inWord)
        {
            words.Add(word.ToString());
        }

        return words;
    }
}
