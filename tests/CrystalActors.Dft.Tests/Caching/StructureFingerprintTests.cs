using CrystalActors.Dft.Caching;

namespace CrystalActors.Dft.Tests.Caching;

public class StructureFingerprintTests
{
    private static readonly DftCell AgI = TestData.Run("val_mp-22894_A").Cell;

    private static DftCell Translate(DftCell c, double dx, double dy, double dz) => new(c.LatticeAngstrom, c.Species,
        c.FractionalCoords.Select(f => new[] { f[0] + dx, f[1] + dy, f[2] + dz }).ToArray());

    [Fact]
    public void Compute_PermutedSites_Same()
    {
        int[] order = [3, 1, 0, 2];
        var permuted = new DftCell(AgI.LatticeAngstrom, order.Select(i => AgI.Species[i]).ToArray(), order.Select(i => AgI.FractionalCoords[i]).ToArray());
        Assert.Equal(StructureFingerprint.Compute(AgI), StructureFingerprint.Compute(permuted));
    }

    [Fact]
    public void Compute_TranslatedAndWrapped_Same()
    {
        Assert.Equal(StructureFingerprint.Compute(AgI), StructureFingerprint.Compute(Translate(AgI, 0.123, -0.4, 1.0)));
        Assert.Equal(StructureFingerprint.Compute(AgI), StructureFingerprint.Compute(Translate(AgI, 1, 2, -3)));
    }

    [Fact]
    public void Compute_RotatedCell_Same()
    {
        // 90° about z: (x, y, z) -> (-y, x, z); fractional coordinates are unchanged.
        var rotated = new DftCell(AgI.LatticeAngstrom.Select(r => new[] { -r[1], r[0], r[2] }).ToArray(), AgI.Species, AgI.FractionalCoords);
        Assert.Equal(StructureFingerprint.Compute(AgI), StructureFingerprint.Compute(rotated));
    }

    [Fact]
    public void Compute_DifferentCrystals_Differ()
    {
        var moved = new DftCell(AgI.LatticeAngstrom, AgI.Species,
            AgI.FractionalCoords.Select((f, i) => i == 2 ? new[] { f[0], f[1], f[2] + 0.01 } : f).ToArray());
        var swapped = new DftCell(AgI.LatticeAngstrom, ["I", "Ag", "Ag", "I"], AgI.FractionalCoords);
        var strained = new DftCell(AgI.LatticeAngstrom.Select(r => r.Select(x => x * 1.01).ToArray()).ToArray(), AgI.Species, AgI.FractionalCoords);
        var fp = StructureFingerprint.Compute(AgI);
        Assert.NotEqual(fp, StructureFingerprint.Compute(moved));
        Assert.NotEqual(fp, StructureFingerprint.Compute(swapped));
        Assert.NotEqual(fp, StructureFingerprint.Compute(strained));
    }
}
