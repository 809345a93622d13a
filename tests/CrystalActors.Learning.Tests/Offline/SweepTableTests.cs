using CrystalActors.Learning.Offline;

namespace CrystalActors.Learning.Tests.Offline;

public class SweepTableTests
{
    [Fact]
    public void Summarize_GivesMeanAndSampleStdOverSeeds_PerRowInOrder()
    {
        var results = new[]
        {
            new SweepResult("bc", 0, new Dictionary<string, double> { ["accuracy"] = 0.40, ["validity"] = 0.80 }),
            new SweepResult("cql-1-10-3-w5", 0, new Dictionary<string, double> { ["accuracy"] = 0.30, ["mean_predicted_gap_ev"] = 1.5, ["in_target_pct"] = 20 }),
            new SweepResult("bc", 1, new Dictionary<string, double> { ["accuracy"] = 0.44, ["validity"] = 0.86 }),
            new SweepResult("bc", 2, new Dictionary<string, double> { ["accuracy"] = 0.48, ["validity"] = 0.83 }),
        };
        var rows = SweepTable.Summarize(results);
        Assert.Equal(["bc", "cql-1-10-3-w5"], rows.Select(r => r.Row));
        var bc = rows[0].Stats;
        Assert.Equal(3, rows[0].Seeds);
        Assert.Equal(0.44, bc["accuracy"].Mean, 12);
        Assert.Equal(0.04, bc["accuracy"].Std, 12);   // sample std of 0.40, 0.44, 0.48
        Assert.Equal(0.83, bc["validity"].Mean, 12);
        Assert.Equal(0.03, bc["validity"].Std, 12);
        Assert.Equal(0.0, rows[1].Stats["accuracy"].Std); // one seed
        Assert.False(bc.ContainsKey("in_target_pct"));

        var md = SweepTable.Markdown(rows);
        Assert.Contains("| bc | 3 | 44.00 ± 4.00 |", md);
        // Columns: accuracy, validity, predicted gap (eV, not scaled), ν; a row without a value shows "-".
        Assert.Contains("| model | seeds | accuracy % | validity % | predicted gap (eV) | ν (DFT gap in p̂ ± 0.25) % |", md);
        Assert.Contains("| bc | 3 | 44.00 ± 4.00 | 83.00 ± 3.00 | - | - |", md);
        Assert.Contains("| cql-1-10-3-w5 | 1 | 30.00 ± 0.00 | - | 1.50 ± 0.00 | 20.00 ± 0.00 |", md);
        var csv = SweepTable.Csv(rows).Split('\n');
        Assert.StartsWith("model,seeds,accuracy_mean,accuracy_std,", csv[0]);
        var bcFields = csv[1].Split(',');
        Assert.Equal(("bc", "3"), (bcFields[0], bcFields[1]));
        Assert.Equal(44.0, double.Parse(bcFields[2], System.Globalization.CultureInfo.InvariantCulture), 9);
        Assert.Equal(4.0, double.Parse(bcFields[3], System.Globalization.CultureInfo.InvariantCulture), 9);
    }

    [Fact]
    public void Csv_RowLabelWithACommaOrQuote_IsQuotedNotASecondColumn()
    {
        var rows = SweepTable.Summarize([new SweepResult("cql,\"w5\"", 0, new Dictionary<string, double> { ["accuracy"] = 0.5 })]);
        var line = SweepTable.Csv(rows).Split('\n')[1];
        Assert.StartsWith("\"cql,\"\"w5\"\"\",1,50,0,", line);
    }

    [Fact]
    public void Read_FindsModelSeedFolders()
    {
        var root = Directory.CreateTempSubdirectory("sweep-").FullName;
        try
        {
            foreach (var (row, seed, acc) in new[] { ("bc", 0, 0.4), ("bc", 1, 0.5), ("random", 0, 0.1) })
            {
                var dir = Path.Combine(root, row, $"seed{seed}");
                Directory.CreateDirectory(dir);
                File.WriteAllText(Path.Combine(dir, "metrics.json"), $$"""{"accuracy": {{acc}}, "n": 10, "note": "text is ignored"}""");
            }
            Directory.CreateDirectory(Path.Combine(root, "bc", "seed2")); // not evaluated yet: skipped
            var results = SweepTable.Read(root);
            Assert.Equal(3, results.Count);
            Assert.Equal(0.45, SweepTable.Summarize(results).Single(r => r.Row == "bc").Stats["accuracy"].Mean, 12);
        }
        finally { Directory.Delete(root, true); }
    }
}
