using CrystalActors.Tests.Shared;

namespace CrystalActors.Cli.Tests.Corpus;

/// <summary>
/// Issue #19's corpus: every case through its command, in this process through the CLI's own entry (a process each would
/// cost ~0.5 s; <see cref="CliProcessTests"/> proves the same at process level on a few), with a time limit per case:
/// exit code as documented, no stack trace, no hang, good records around a bad one still processed.
/// </summary>
public sealed class MalformedInputCorpusTests
{
    private static readonly TimeSpan CaseLimit = TimeSpan.FromSeconds(30);

    public static TheoryData<string> CaseNames()
    {
        var names = new TheoryData<string>();
        foreach (var c in MalformedCorpus.All) names.Add(c.Name);
        return names;
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task Case_EndsAsDocumented(string name)
    {
        var c = MalformedCorpus.Get(name);
        var dir = CorpusRunner.Prepare(c);
        try
        {
            var outcome = c.Library is null
                ? await CorpusRunner.RunInProcessAsync(c, dir, CaseLimit)
                : await CorpusRunner.RunLibraryAsync(c, dir, CaseLimit);
            CorpusRunner.AssertPolicy(c, outcome, dir);
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    [Fact]
    public void Corpus_HoldsAtLeast300Cases_OverEveryKindOfInput()
    {
        var byKind = MalformedCorpus.All.GroupBy(c => c.Kind).ToDictionary(g => g.Key, g => g.Count());
        Assert.True(MalformedCorpus.All.Count >= 300, $"{MalformedCorpus.All.Count} cases");
        // The cache lines go through `dft run`, whose service needs pw.x: without Quantum ESPRESSO they are left out.
        string[] kinds = ["jsonl", "csv", "cif", "poscar", "safetensors", "pwx", "config", "payload", "wire", .. PwFactAttribute.Installed ? ["cache"] : Array.Empty<string>()];
        foreach (var kind in kinds)
            Assert.True(byKind.GetValueOrDefault(kind) >= 5, $"{kind}: {byKind.GetValueOrDefault(kind)} cases");
    }
}
