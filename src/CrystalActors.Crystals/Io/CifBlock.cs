namespace CrystalActors.Crystals.Io;

/// <summary>A CIF loop: column tags (lower case) and rows of values with their line numbers.</summary>
internal sealed class CifLoop
{
    public required string[] Tags { get; init; }
    public List<CifToken[]> Rows { get; } = [];
    public int Line { get; init; }

    public int ColumnOf(params string[] candidates)
    {
        foreach (var c in candidates)
        {
            int k = Array.IndexOf(Tags, c);
            if (k >= 0) return k;
        }
        return -1;
    }
}

/// <summary>One data_ block: single-valued items (tag -> value token) and loops. Tags are compared in lower case.</summary>
internal sealed class CifBlock
{
    public required string Name { get; init; }
    public int Line { get; init; }
    public Dictionary<string, CifToken> Items { get; } = new(StringComparer.Ordinal);
    public List<CifLoop> Loops { get; } = [];

    public CifLoop? FindLoop(params string[] anyTag) =>
        Loops.FirstOrDefault(l => anyTag.Any(t => l.Tags.Contains(t)));

    public CifToken? Item(params string[] tags)
    {
        foreach (var t in tags)
            if (Items.TryGetValue(t, out var v)) return v;
        return null;
    }

    /// <summary>Splits the token stream into blocks, items and loops.</summary>
    public static List<CifBlock> Parse(List<CifToken> tokens, string file)
    {
        var blocks = new List<CifBlock>();
        CifBlock? block = null;
        int i = 0;
        while (i < tokens.Count)
        {
            var t = tokens[i];
            switch (t.Kind)
            {
                case CifTokenKind.DataBlock:
                    block = new CifBlock { Name = t.Text, Line = t.Line };
                    blocks.Add(block);
                    i++;
                    break;
                case CifTokenKind.Tag:
                    if (block is null) throw new CrystalFormatException(file, t.Line, $"tag {t.Text} appears before any data_ block");
                    if (i + 1 >= tokens.Count || tokens[i + 1].Kind != CifTokenKind.Value)
                        throw new CrystalFormatException(file, t.Line, $"tag {t.Text} has no value");
                    block.Items[t.Text.ToLowerInvariant()] = tokens[i + 1];
                    i += 2;
                    break;
                case CifTokenKind.Loop:
                {
                    if (block is null) throw new CrystalFormatException(file, t.Line, "loop_ appears before any data_ block");
                    i++;
                    var tags = new List<string>();
                    while (i < tokens.Count && tokens[i].Kind == CifTokenKind.Tag) tags.Add(tokens[i++].Text.ToLowerInvariant());
                    if (tags.Count == 0) throw new CrystalFormatException(file, t.Line, "loop_ has no tags");
                    var loop = new CifLoop { Tags = tags.ToArray(), Line = t.Line };
                    var values = new List<CifToken>();
                    while (i < tokens.Count && tokens[i].Kind == CifTokenKind.Value) values.Add(tokens[i++]);
                    if (values.Count % tags.Count != 0)
                    {
                        int lastLine = values.Count > 0 ? values[^1].Line : t.Line;
                        throw new CrystalFormatException(file, lastLine,
                            $"loop starting at line {t.Line} ({tags[0]}, ...) is truncated: {values.Count} values is not a multiple of its {tags.Count} columns");
                    }
                    for (int r = 0; r < values.Count; r += tags.Count) loop.Rows.Add(values.GetRange(r, tags.Count).ToArray());
                    block.Loops.Add(loop);
                    break;
                }
                default:
                    throw new CrystalFormatException(file, t.Line, $"value '{t.Text}' does not belong to any tag");
            }
        }
        return blocks;
    }
}
