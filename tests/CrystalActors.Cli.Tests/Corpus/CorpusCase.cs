namespace CrystalActors.Cli.Tests.Corpus;

/// <summary>
/// One malformed input and what the error policy (README "Errors and exit codes") says becomes of it: the command's exit
/// code, how many good records it still processes and how many bad ones it reports.
/// </summary>
public sealed record CorpusCase
{
    /// <summary>"kind/what", unique in the corpus.</summary>
    public required string Name { get; init; }

    /// <summary>The input family: jsonl, csv, cif, poscar, safetensors, pwx, cache, config, payload, wire.</summary>
    public required string Kind { get; init; }

    /// <summary>The case's files, by name in its folder.</summary>
    public required IReadOnlyDictionary<string, Func<byte[]>> Files { get; init; }

    /// <summary>The command line; <see cref="Dir"/> in an argument stands for the case's folder. Null for a library case.</summary>
    public string[]? Args { get; init; }

    /// <summary>Input no command reads (wire messages, farm payloads): the entry point a node calls with it, given the folder.</summary>
    public Action<string>? Library { get; init; }

    /// <summary>0: done (bad records reported, good ones processed); 2: an input fault, one line. (1 is always a defect.)</summary>
    public required int ExitCode { get; init; }

    /// <summary>Good records processed (the summary's ok=), when the command gets that far.</summary>
    public int? Ok { get; init; }

    /// <summary>Bad records reported (the summary's errors=).</summary>
    public int? Errors { get; init; }

    /// <summary>The output file whose rows are counted against <see cref="Ok"/> (CSV: records after the header; else lines).</summary>
    public string? Output { get; init; }

    /// <summary>What every fault line must name: the input file (or option) at fault.</summary>
    public required string Names { get; init; }

    public const string Dir = "{dir}";

    public override string ToString() => Name;
}
