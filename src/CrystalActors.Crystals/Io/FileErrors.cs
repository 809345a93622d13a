using System.Text.RegularExpressions;

namespace CrystalActors.Crystals.Io;

/// <summary>What a failed file operation asks of whoever runs the program.</summary>
public enum FileErrorKind
{
    /// <summary>Anything else: the system's message says it.</summary>
    Other,
    /// <summary>No space left (ENOSPC), or the user's quota exhausted (EDQUOT).</summary>
    DiskFull,
    /// <summary>A read-only file system (EROFS), or a path this user may not write (EACCES, EPERM).</summary>
    ReadOnlyOrNotPermitted,
}

/// <summary>
/// Turns the errors of a full disk and of a read-only or forbidden path into one line that says so and names the
/// path. The system's own words ("No space left on device : '/x'", "Access to the path '/x' is denied.") do not say
/// what happened in plain terms, and the error is often wrapped or followed by a consequence that hides it. Pure:
/// it reads only the exception (on Linux, where .NET passes the errno on as an IOException's HResult).
/// </summary>
public static partial class FileErrors
{
    public const int Eperm = 1;
    public const int Eacces = 13;
    public const int Enospc = 28;
    public const int Erofs = 30;
    public const int Edquot = 122;

    /// <summary>The words for a kind, as every message about files uses them.</summary>
    public static string Words(FileErrorKind kind) => kind switch
    {
        FileErrorKind.DiskFull => "disk full",
        FileErrorKind.ReadOnlyOrNotPermitted => "read-only or not permitted",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "only disk full and read-only have words of their own"),
    };

    /// <summary>The kind of the first disk-full or read-only error in <paramref name="e"/> and its inner exceptions.</summary>
    public static FileErrorKind Classify(Exception e) => Find(e).Kind;

    /// <summary>
    /// One line for a disk-full or read-only error anywhere in <paramref name="e"/>'s chain: '{path}: disk full' or
    /// '{path}: read-only or not permitted', the path from <paramref name="path"/> or else from the system's message
    /// (the file an <see cref="AtomicFile"/> write was for, not its temporary name); null for any other error, whose
    /// own message then stands.
    /// </summary>
    public static string? Describe(Exception e, string? path = null)
    {
        ArgumentNullException.ThrowIfNull(e);
        var (kind, cause) = Find(e);
        if (kind == FileErrorKind.Other) return null;
        path ??= QuotedPathRegex().Match(cause!.Message) is { Success: true } m ? AtomicFile.TargetOf(m.Groups[1].Value) : null;
        return Line(path, kind, cause!.Message);
    }

    /// <summary>'{path}: {words}', or '{words}: {detail}' when no path is known.</summary>
    public static string Line(string? path, FileErrorKind kind, string detail) =>
        path is not null ? $"{path}: {Words(kind)}" : $"{Words(kind)}: {detail}";

    private static (FileErrorKind Kind, Exception? Cause) Find(Exception e)
    {
        var pending = new Stack<Exception>([e]);
        while (pending.Count > 0)
        {
            var x = pending.Pop();
            var kind = x switch
            {
                UnauthorizedAccessException => FileErrorKind.ReadOnlyOrNotPermitted,
                IOException { HResult: Enospc or Edquot } => FileErrorKind.DiskFull,
                IOException { HResult: Erofs or Eacces or Eperm } => FileErrorKind.ReadOnlyOrNotPermitted,
                _ => FileErrorKind.Other,
            };
            if (kind != FileErrorKind.Other) return (kind, x);
            if (x is AggregateException a)
                for (int i = a.InnerExceptions.Count - 1; i >= 0; i--) pending.Push(a.InnerExceptions[i]);
            else if (x.InnerException is { } inner) pending.Push(inner);
        }
        return (FileErrorKind.Other, null);
    }

    /// <summary>.NET quotes the path in its file errors: "Access to the path '/x' is denied.", "No space left on device : '/x'".</summary>
    [GeneratedRegex("'([^']+)'")]
    private static partial Regex QuotedPathRegex();
}
