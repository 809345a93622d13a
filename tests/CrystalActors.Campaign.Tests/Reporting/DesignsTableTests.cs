using CrystalActors.Campaign.Reporting;
using CrystalActors.Crystals;
using CrystalActors.Crystals.Io;
using CsvHelper;

namespace CrystalActors.Campaign.Tests.Reporting;

/// <summary>designs.csv and its CIFs: what a researcher opens after a campaign (issue #16).</summary>
public sealed class DesignsTableTests : IDisposable
{
    private readonly string _run = Directory.CreateTempSubdirectory("designs-").FullName;

    public void Dispose() => Directory.Delete(_run, recursive: true);

    private static readonly CampaignOptions Options = new() { Name = "t", TargetGapEv = 1.12, RewardBeta = 1.0 };

    private static Structure RockSalt(string a, string b, double cell = 5.6) => Structure.FromSpecies(
        new Lattice([[0, cell / 2, cell / 2], [cell / 2, 0, cell / 2], [cell / 2, cell / 2, 0]]),
        [Element.FromSymbol(a), Element.FromSymbol(b)], [new Vec3(0, 0, 0), new Vec3(0.5, 0.5, 0.5)]);

    private static string Json(Structure s, long episode) => Mp20JsonWriter.ToJsonLine(s, (int)episode, $"t-e{episode}");

    /// <summary>Three episodes: NaCl (to DFT, relaxed to a smaller cell, gap 5.0), KBr (to DFT, failed), MgO (top by reward, no DFT).</summary>
    private static CampaignState State()
    {
        var nacl = RockSalt("Na", "Cl");
        var kbr = RockSalt("K", "Br", 6.6);
        var mgo = RockSalt("Mg", "O", 4.2);
        var s = new CampaignState();
        s = s.Apply(new EpisodeCompleted(1, "g", "NaCl", 0.40, 4.1, 1, 0, Json(nacl, 1)));
        s = s.Apply(new EpisodeCompleted(2, "g", "KBr", 0.30, 3.2, 1, 0, Json(kbr, 2)));
        s = s.Apply(new EpisodeCompleted(3, "g", "MgO", 0.90, 1.3, 1, 0, Json(mgo, 3)));
        s = s.Apply(new DftRequested("t-e1", 1, "NaCl", Json(nacl, 1), 4.1, 0.40));
        s = s.Apply(new DftRequested("t-e2", 2, "KBr", Json(kbr, 2), 3.2, 0.30));
        s = s.Apply(new DftFinished("t-e1", true, 5.0, -1000.0, null, 30, Json(RockSalt("Na", "Cl", 5.5), 1), false));
        s = s.Apply(new DftFinished("t-e2", false, null, null, "scf_not_converged", 40, Json(kbr, 2), false));
        return s;
    }

    [Fact]
    public void DesignsCsv_ListsEveryDftDesignThenTheTopOnes_WithTheirValues()
    {
        var rows = DesignsTable.Write(_run, State(), Options);
        Assert.Equal(["dft", "dft", "top"], rows.Select(r => r.Source));

        using var csv = CsvReader.FromFile(Path.Combine(_run, DesignsTable.FileName), CsvReaderOptions.Default);
        var read = new List<Dictionary<string, string>>();
        foreach (var record in csv)
            read.Add(DesignRow.Columns.ToDictionary(c => c, c => csv.GetString(c)));
        Assert.Equal(3, read.Count);

        var nacl = read[0];
        Assert.Equal(("t-e1", "NaCl", "ok", "true", "true"), (nacl["job_id"], nacl["formula"], nacl["dft_status"], nacl["smact_valid"], nacl["relaxed"]));
        Assert.Equal(5.0, double.Parse(nacl["dft_gap_ev"]));
        Assert.Equal(-500.0, double.Parse(nacl["dft_energy_per_atom_ev"])); // -1000 eV over 2 sites
        Assert.Equal(Math.Exp(-(5.0 - 1.12) * (5.0 - 1.12)), double.Parse(nacl["dft_reward"]), 12);
        Assert.Equal("2", nacl["top_rank"]); // NaCl is second by reward after MgO
        Assert.Equal(Path.Combine("designs", "t-e1.relaxed.cif"), nacl["relaxed_cif"]);

        var kbr = read[1];
        Assert.Equal(("scf_not_converged", "", "false", ""), (kbr["dft_status"], kbr["dft_gap_ev"], kbr["relaxed"], kbr["relaxed_cif"]));
        Assert.Equal(-1.0, double.Parse(kbr["dft_reward"]));

        var mgo = read[2];
        Assert.Equal(("top", "1", "", "MgO", ""), (mgo["source"], mgo["top_rank"], mgo["job_id"], mgo["formula"], mgo["dft_gap_ev"]));
    }

    [Fact]
    public void DesignCifs_HoldTheStructuresAndTheRowValues()
    {
        DesignsTable.Write(_run, State(), Options);
        var designed = Path.Combine(_run, "designs", "t-e1.cif");
        var relaxed = Path.Combine(_run, "designs", "t-e1.relaxed.cif");
        Assert.Equal(5.6 / Math.Sqrt(2), CifReader.ReadFile(designed).Lattice.Parameters.A, 6);
        Assert.Equal(5.5 / Math.Sqrt(2), CifReader.ReadFile(relaxed).Lattice.Parameters.A, 6);
        var items = CifReader.ReadDataItems(File.ReadAllText(relaxed), relaxed);
        Assert.Equal("relaxed", items["_crystal_actors_structure"]);
        Assert.Equal("t-e1", items["_crystal_actors_job_id"]);
        Assert.Equal(5.0, double.Parse(items["_crystal_actors_dft_gap_ev"]!));
        Assert.Equal("yes", items["_crystal_actors_smact_valid"]);
        var top = Path.Combine(_run, "designs", "top-01.cif");
        var topItems = CifReader.ReadDataItems(File.ReadAllText(top), top);
        Assert.Null(topItems["_crystal_actors_dft_gap_ev"]); // written as '?': unknown
        Assert.Equal("MgO", CifReader.ReadFile(top).Composition.ReducedFormula);
    }
}
