using System.Text;

namespace CrystalActors.Crystals.Io;

internal enum CifTokenKind { DataBlock, Loop, Tag, Value }

/// <summary>A CIF token and the 1-based line where it starts. Quoted values keep <see cref="Quoted"/> = true so that
/// a quoted '?' or '.' is a string, not the CIF null.</summary>
internal readonly record struct CifToken(CifTokenKind Kind, string Text, int Line, bool Quoted = false);

/// <summary>
/// CIF 1.1 lexer: comments, data_ headers, loop_, tags, bare values, 'single' and "double" quoted values
/// (a quote closes only when followed by whitespace, as the CIF grammar says), and ;-delimited text fields.
/// </summary>
internal static class CifTokenizer
{
    public static List<CifToken> Tokenize(string text, string file)
    {
        var tokens = new List<CifToken>();
        var lines = text.Replace("\r\n", "\n").Replace('\r', '\n').Split('\n');
        for (int li = 0; li < lines.Length; li++)
        {
            string line = lines[li];
            int lineNo = li + 1;
            if (line.StartsWith(';'))
            {
                // Text field: runs until a line starting with ';'.
                var sb = new StringBuilder(line[1..]);
                int start = lineNo;
                li++;
                while (li < lines.Length && !lines[li].StartsWith(';'))
                {
                    sb.Append('\n').Append(lines[li]);
                    li++;
                }
                if (li >= lines.Length)
                    throw new CrystalFormatException(file, start, "text field opened with ';' is never closed");
                tokens.Add(new CifToken(CifTokenKind.Value, sb.ToString(), start, Quoted: true));
                // Anything after the closing ';' on the same line is tokenised normally.
                line = lines[li][1..];
                lineNo = li + 1;
                TokenizeLine(line, lineNo, file, tokens);
                continue;
            }
            TokenizeLine(line, lineNo, file, tokens);
        }
        return tokens;
    }

    private static void TokenizeLine(string line, int lineNo, string file, List<CifToken> tokens)
    {
        int i = 0;
        while (i < line.Length)
        {
            char c = line[i];
            if (char.IsWhiteSpace(c)) { i++; continue; }
            if (c == '#') return;
            if (c == '\'' || c == '"')
            {
                int j = i + 1;
                while (true)
                {
                    if (j >= line.Length)
                        throw new CrystalFormatException(file, lineNo, $"unterminated {c}-quoted value starting at column {i + 1}");
                    if (line[j] == c && (j + 1 == line.Length || char.IsWhiteSpace(line[j + 1]))) break;
                    j++;
                }
                tokens.Add(new CifToken(CifTokenKind.Value, line[(i + 1)..j], lineNo, Quoted: true));
                i = j + 1;
                continue;
            }
            int s = i;
            while (i < line.Length && !char.IsWhiteSpace(line[i])) i++;
            string word = line[s..i];
            if (word.StartsWith("data_", StringComparison.OrdinalIgnoreCase))
                tokens.Add(new CifToken(CifTokenKind.DataBlock, word[5..], lineNo));
            else if (word.Equals("loop_", StringComparison.OrdinalIgnoreCase))
                tokens.Add(new CifToken(CifTokenKind.Loop, word, lineNo));
            else if (word.StartsWith('_'))
                tokens.Add(new CifToken(CifTokenKind.Tag, word, lineNo));
            else
                tokens.Add(new CifToken(CifTokenKind.Value, word, lineNo));
        }
    }
}
