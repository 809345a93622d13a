using CrystalActors.Crystals;
using CrystalActors.Crystals.Io;

namespace CrystalActors.Campaign.Tests;

/// <summary>Your own skeleton: a CIF or POSCAR as skeleton.data, no material ids.</summary>
public class OwnSkeletonTests
{
    private static Structure RockSalt() => Structure.FromSpecies(Lattice.FromParameters(3.99, 3.99, 3.99, 60, 60, 60),
        [Element.FromSymbol("Na"), Element.FromSymbol("Cl")], [new Vec3(0, 0, 0), new Vec3(0.5, 0.5, 0.5)], "NaCl");

    private static CampaignOptions Options(string data)
    {
        var config = Path.Combine(Path.GetDirectoryName(data)!, "c.json");
        File.WriteAllText(config, $$"""{ "skeleton": { "data": "{{data}}", "material_ids": [] }, "vocabulary": ["Na", "K", "Cl", "Br"], "output_root": "runs" }""");
        return CampaignOptions.Load(config);
    }

    [Theory]
    [InlineData("nacl.cif")]
    [InlineData("POSCAR")]
    [InlineData("nacl.vasp")]
    public void ACifOrPoscar_IsASkeleton_WithItsSpaceGroupFromSpglib(string name)
    {
        var dir = Directory.CreateTempSubdirectory("ca-own-").FullName;
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, name.EndsWith(".cif") ? CifWriter.Write(RockSalt()) : Poscar.Write(RockSalt()));
        var (skeletons, tasks) = CampaignContext.LoadTasks(Options(path));
        var task = Assert.Single(tasks);
        Assert.Equal(2, task.Skeleton.NumSites);
        Assert.Equal(1, skeletons.CrystalCount);
        Assert.Equal(225, task.Skeleton.SpaceGroupNumber); // rock salt, Fm-3m
        Assert.Equal(4, task.Vocabulary.Count);
    }

    [Fact]
    public void ABrokenSkeletonFile_IsAConfigErrorNamingTheKey()
    {
        var dir = Directory.CreateTempSubdirectory("ca-own-").FullName;
        var path = Path.Combine(dir, "broken.cif");
        File.WriteAllText(path, "data_x\n_cell_length_a 4\n");
        var e = Assert.Throws<CampaignConfigException>(() => CampaignContext.LoadTasks(Options(path)));
        Assert.Contains("skeleton.data", e.Message);
    }
}
