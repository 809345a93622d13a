namespace CrystalActors.Cli.Tests.Corpus;

/// <summary>
/// A few corpus cases through a real `crystal-actors` process, as a user or a script runs it: the exit code the shell sees
/// and what reaches the terminal's stderr, which the in-process runs of <see cref="MalformedInputCorpusTests"/> stand in for.
/// </summary>
public sealed class CliProcessTests
{
    private static readonly TimeSpan ProcessLimit = TimeSpan.FromSeconds(90);

    [Theory]
    [InlineData("jsonl/material-id-number")]          // a bad record between good ones: reported, the others written, exit 0
    [InlineData("jsonl/strict-stops-at-first")]       // --strict: exit 2 at the first bad record
    [InlineData("jsonl/missing-file")]                // file-level: one line, exit 2
    [InlineData("jsonl/record-timeout-negative")]     // a bad option: one line, exit 2
    [InlineData("safetensors/m3gnet/weight-nan")]     // a damaged weight file: one line, exit 2
    [InlineData("pwx/binary-garbage")]                // another command, another kind of input
    public async Task Case_EndsAsDocumented_InARealProcess(string name)
    {
        var c = MalformedCorpus.Get(name);
        var dir = CorpusRunner.Prepare(c);
        try
        {
            CorpusRunner.AssertPolicy(c, await CorpusRunner.RunProcessAsync(c, dir, ProcessLimit), dir);
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }
}
