namespace CrystalActors.Crystals.Io;

/// <summary>A malformed crystal file or record. The message reads "file:line: reason".</summary>
public sealed class CrystalFormatException : FormatException
{
    public CrystalFormatException(string file, int line, string reason, Exception? inner = null)
        : base($"{file}:{line}: {reason}", inner)
    {
        File = file;
        Line = line;
        Reason = reason;
    }

    /// <summary>File name as given to the reader (or a label such as "&lt;string&gt;").</summary>
    public string File { get; }
    /// <summary>1-based line number where the problem was found (0 when not tied to a line).</summary>
    public int Line { get; }
    public string Reason { get; }
}
