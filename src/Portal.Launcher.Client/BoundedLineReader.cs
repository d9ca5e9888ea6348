using System.Text;

namespace Portal.Launcher.Client;

/// <summary>
/// Reads lines like <see cref="TextReader.ReadLineAsync(CancellationToken)"/>, but never holds more than
/// <c>maxLength</c> characters of one line: the rest, up to the line break, is read and dropped, and the line ends with
/// a note saying so.
/// </summary>
internal sealed class BoundedLineReader(TextReader reader, int maxLength)
{
    private readonly char[] _buffer = new char[4096];
    private int _start;
    private int _end;

    public async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
    {
        var line = new StringBuilder();
        bool cut = false;
        while (true)
        {
            if (_start == _end)
            {
                _start = 0;
                _end = await reader.ReadAsync(_buffer.AsMemory(), cancellationToken);
                if (_end == 0)
                {
                    return line.Length == 0 && !cut ? null : Finish(line, cut);
                }
            }

            int newline = Array.IndexOf(_buffer, '\n', _start, _end - _start);
            int stop = newline < 0 ? _end : newline;
            int room = maxLength - line.Length;
            int take = Math.Min(room, stop - _start);
            line.Append(_buffer, _start, take);
            cut |= take < stop - _start;
            _start = newline < 0 ? _end : newline + 1;
            if (newline >= 0)
            {
                return Finish(line, cut);
            }
        }
    }

    private string Finish(StringBuilder line, bool cut)
    {
        if (line.Length > 0 && line[^1] == '\r')
        {
            line.Length--;
        }

        return cut ? line.Append(" [line cut at ").Append(maxLength).Append(" characters]").ToString() : line.ToString();
    }
}
