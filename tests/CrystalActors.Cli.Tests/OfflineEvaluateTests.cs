using System.Text.Json;

namespace CrystalActors.Cli.Tests;

/// <summary>`offline generate` then `offline evaluate --predict-gaps` with the shipped BC policy, as scripts/table1.sh runs
/// them: the predicted-gap columns agree with what `offline ship` measured into the policy's manifest.</summary>
public sealed class OfflineEvaluateTests
{
    private static string RepositoryRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "CrystalActors.sln"))) return d.FullName;
        throw new DirectoryNotFoundException("no CrystalActors.sln above " + AppContext.BaseDirectory);
    }

    [Fact]
    public async Task PredictGaps_ShippedBc_MatchesItsManifest()
    {
        var policy = Path.Combine(RepositoryRoot(), "models", "offline", "bc");
        var data = SharedData.File("data", "mp20", "mp20_val.jsonl.gz");
        var dir = Directory.CreateTempSubdirectory("offline-evaluate-").FullName;
        try
        {
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            Assert.Equal(0, await Cli.RunAsync(["offline", "generate", "--checkpoint", policy, "--data", data, "--part", "heldout", "--non-metals",
                "--p-hat", "2", "--out", Path.Combine(dir, "gen")], stdout, stderr, CancellationToken.None));
            var metricsPath = Path.Combine(dir, "metrics.json");
            Assert.Equal(0, await Cli.RunAsync(["offline", "evaluate", "--generated", Path.Combine(dir, "gen"), "--data", data, "--p-hat", "2",
                "--predict-gaps", "--out", metricsPath], stdout, stderr, CancellationToken.None));

            var m = JsonDocument.Parse(File.ReadAllText(metricsPath)).RootElement;
            using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(policy, "manifest.json")));
            var atTwo = manifest.RootElement.GetProperty("heldout_predicted_gaps").EnumerateArray()
                .Single(t => t.GetProperty("p_hat_ev").GetDouble() == 2.0);
            Assert.Equal(manifest.RootElement.GetProperty("heldout").GetProperty("n").GetInt32(), m.GetProperty("predicted_n").GetInt32());
            Assert.Equal(atTwo.GetProperty("mean_predicted_gap_ev").GetDouble(), m.GetProperty("mean_predicted_gap_ev").GetDouble(), 4);
            Assert.Equal(atTwo.GetProperty("std_predicted_gap_ev").GetDouble(), m.GetProperty("std_predicted_gap_ev").GetDouble(), 4);
            // The 0.25 eV window holds fewer fills than the manifest's 0.5 eV one.
            double inTarget = m.GetProperty("predicted_in_target_pct").GetDouble();
            Assert.InRange(inTarget, 0.1, atTwo.GetProperty("within_0_5_ev_pct").GetDouble());
            Assert.Equal(manifest.RootElement.GetProperty("heldout").GetProperty("accuracy").GetDouble(), m.GetProperty("accuracy").GetDouble(), 6);
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }
}
