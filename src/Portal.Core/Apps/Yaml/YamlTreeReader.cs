using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Portal.Core.Apps.Yaml;

/// <summary>
/// Reads one YAML document into <see cref="YamlNode"/>s through YamlDotNet's event parser, enforcing
/// <see cref="YamlLimits"/>. Refused outright: more than one document, explicit tags (<c>!!python/...</c>,
/// <c>!custom</c>: nothing here needs a type other than YAML's own), duplicated keys, non-scalar keys and
/// aliases to anchors not yet complete. The first problem ends the read: past a broken structure or a limit,
/// nothing more is worth reading.
/// </summary>
public sealed class YamlTreeReader
{
    private const string MergeKey = "<<";

    private readonly IParser _parser;
    private readonly Dictionary<string, (YamlNode Node, int Size)> _anchors = new(StringComparer.Ordinal);
    private int _aliases;
    private long _expanded;

    private YamlTreeReader(IParser parser) => _parser = parser;

    /// <summary>The document's root, or null with the reason in <paramref name="problem"/>.</summary>
    public static YamlNode? Read(string text, out AppProblem? problem)
    {
        ArgumentNullException.ThrowIfNull(text);
        problem = null;
        if (text.Length > YamlLimits.MaxChars)
        {
            problem = new AppProblem(0, "", Format($"The file is larger than {YamlLimits.MaxChars / 1024} KiB."));
            return null;
        }

        var reader = new YamlTreeReader(new Parser(new StringReader(text)));
        try
        {
            return reader.ReadDocument();
        }
        catch (YamlRefusal e)
        {
            problem = e.Problem;
        }
        catch (YamlException e)
        {
            problem = new AppProblem(checked((int)e.Start.Line), "", "Not valid YAML: " + e.Message);
        }

        return null;
    }

    private YamlNode ReadDocument()
    {
        Expect<StreamStart>();
        if (_parser.TryConsume<StreamEnd>(out _))
        {
            throw Refuse(1, "", "The file is empty.");
        }

        Expect<DocumentStart>();
        var root = ReadNode(0, "").Node;
        Expect<DocumentEnd>();
        if (_parser.Current is DocumentStart next)
        {
            throw Refuse(Line(next), "", "The file holds more than one YAML document; give one.");
        }

        Expect<StreamEnd>();
        return root;
    }

    private (YamlNode Node, int Size) ReadNode(int depth, string path)
    {
        var current = _parser.Current ?? throw Refuse(0, path, "The file ends in the middle of a value.");
        if (depth > YamlLimits.MaxDepth)
        {
            throw Refuse(Line(current), path, Format($"Nested deeper than {YamlLimits.MaxDepth} levels."));
        }

        if (current is AnchorAlias alias)
        {
            _parser.MoveNext();
            return ResolveAlias(alias, path);
        }

        if (current is not NodeEvent node)
        {
            throw Refuse(Line(current), path, "Unexpected YAML structure.");
        }

        if (!node.Tag.IsEmpty)
        {
            throw Refuse(Line(node), path, $"Explicit YAML tags ('{node.Tag.Value}') are not accepted.");
        }

        var read = node switch
        {
            Scalar scalar => ReadScalar(scalar),
            SequenceStart => ReadSequence(depth, path),
            MappingStart => ReadMapping(depth, path),
            _ => throw Refuse(Line(node), path, "Unexpected YAML structure."),
        };
        Count(1, Line(node), path);
        if (!node.Anchor.IsEmpty)
        {
            // A later anchor of the same name shadows the earlier one, as YAML says.
            _anchors[node.Anchor.Value] = read;
        }

        return read;
    }

    private (YamlNode Node, int Size) ReadScalar(Scalar scalar)
    {
        _parser.MoveNext();
        return (new YamlScalar(Line(scalar), Column(scalar), scalar.Value, scalar.Style == ScalarStyle.Plain), 1);
    }

    private (YamlNode Node, int Size) ReadSequence(int depth, string path)
    {
        var start = _parser.Consume<SequenceStart>();
        var items = new List<YamlNode>();
        var size = 1;
        while (!_parser.TryConsume<SequenceEnd>(out _))
        {
            var (item, itemSize) = ReadNode(depth + 1, path + "[" + items.Count.ToString(CultureInfo.InvariantCulture) + "]");
            items.Add(item);
            size += itemSize;
        }

        return (new YamlSequence(Line(start), Column(start), items), size);
    }

    private (YamlNode Node, int Size) ReadMapping(int depth, string path)
    {
        var start = _parser.Consume<MappingStart>();
        var entries = new List<KeyValuePair<YamlScalar, YamlNode>>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var merged = new List<KeyValuePair<YamlScalar, YamlNode>>();
        var size = 1;
        while (!_parser.TryConsume<MappingEnd>(out _))
        {
            var keyEvent = _parser.Current;
            var (keyNode, _) = ReadNode(depth + 1, path);
            if (keyNode is not YamlScalar key)
            {
                throw Refuse(keyNode.Line, path, "Mapping keys must be plain text.");
            }

            var keyPath = path.Length == 0 ? key.Value : path + "." + key.Value;
            var (value, valueSize) = ReadNode(depth + 1, keyPath);
            size += 1 + valueSize;
            if (key.IsPlain && key.Value == MergeKey && keyEvent is not AnchorAlias)
            {
                merged.AddRange(MergeSources(value, keyPath));
                continue;
            }

            if (!seen.Add(key.Value))
            {
                throw Refuse(key.Line, keyPath, "This key appears twice in the same mapping.");
            }

            entries.Add(new(key, value));
        }

        // Merge keys: keys written in the mapping win over merged ones; among merged sources, the first wins.
        foreach (var entry in merged)
        {
            if (seen.Add(entry.Key.Value))
            {
                entries.Add(entry);
            }
        }

        return (new YamlMapping(Line(start), Column(start), entries), size);
    }

    private static IEnumerable<KeyValuePair<YamlScalar, YamlNode>> MergeSources(YamlNode value, string path) => value switch
    {
        YamlMapping mapping => mapping.Entries,
        YamlSequence sequence when sequence.Items.All(i => i is YamlMapping) =>
            sequence.Items.Cast<YamlMapping>().SelectMany(m => m.Entries),
        _ => throw Refuse(value.Line, path, "A merge key ('<<') takes a mapping or a list of mappings."),
    };

    private (YamlNode Node, int Size) ResolveAlias(AnchorAlias alias, string path)
    {
        if (++_aliases > YamlLimits.MaxAliases)
        {
            throw Refuse(Line(alias), path, Format($"More than {YamlLimits.MaxAliases} aliases ('*name')."));
        }

        if (!_anchors.TryGetValue(alias.Value.Value, out var anchored))
        {
            throw Refuse(Line(alias), path, $"The alias '*{alias.Value.Value}' names no anchor defined before it.");
        }

        // The alias stands for the whole anchored subtree: count it again, so that nesting aliases cannot hide size.
        Count(anchored.Size, Line(alias), path);
        return anchored;
    }

    private void Count(int size, int line, string path)
    {
        _expanded += size;
        if (_expanded > YamlLimits.MaxExpandedNodes)
        {
            throw Refuse(line, path, Format(
                $"The file expands to more than {YamlLimits.MaxExpandedNodes} nodes once its aliases are counted (an alias bomb?)."));
        }
    }

    private void Expect<T>()
        where T : ParsingEvent
    {
        if (!_parser.TryConsume<T>(out _))
        {
            var line = _parser.Current is { } current ? Line(current) : 0;
            throw Refuse(line, "", "Unexpected YAML structure.");
        }
    }

    private static int Line(ParsingEvent e) => checked((int)e.Start.Line);

    private static int Column(ParsingEvent e) => checked((int)e.Start.Column);

    private static YamlRefusal Refuse(int line, string path, string message) => new(new AppProblem(line, path, message));

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private sealed class YamlRefusal(AppProblem problem) : Exception(problem.Message)
    {
        public AppProblem Problem { get; } = problem;
    }
}
