using CrystalActors.Crystals;
using CrystalActors.Dft.Caching;
using CrystalActors.Dft.Input;

namespace CrystalActors.Dft.Tests;

public class StructureAdapterTests
{
    [Fact]
    public void ToDftCell_ReferenceCrystal_WritesTheSameInputAsTheReference()
    {
        var run = TestData.Run("val_mp-22894_A");
        var cell = run.Cell;
        var structure = Structure.FromSpecies(new Lattice(cell.LatticeAngstrom),
            cell.Species.Select(Element.FromSymbol).ToList(),
            cell.FractionalCoords.Select(f => new Vec3(f[0], f[1], f[2])).ToList(), "mp-22894");
        var converted = structure.ToDftCell();
        Assert.Equal(StructureFingerprint.Compute(cell), StructureFingerprint.Compute(converted));
        var p = DftProtocol.Paper.Resolve(converted, TestData.Pseudos, out _);
        var paths = new PwPaths("val_mp-22894_A", "./scratch/val_mp-22894_A", "../shared/pseudo/SSSP_1.3.0_PBE_efficiency");
        Assert.Equal(run.InputText, PwInputWriter.Write(converted, p, TestData.Pseudos, paths));
    }
}
