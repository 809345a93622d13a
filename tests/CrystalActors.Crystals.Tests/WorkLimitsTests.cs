using System.Diagnostics;
using System.Text;
using CrystalActors.Crystals;
using CrystalActors.Crystals.Io;
using CrystalActors.Crystals.Neighbors;
using CrystalActors.Crystals.Validity;

namespace CrystalActors.Crystals.Tests;

/// <summary>Issue #19: inputs that used to hang or run for minutes are refused up front with an error naming the limit.</summary>
public class WorkLimitsTests
{
    private static readonly Element Na = Element.FromSymbol("Na"), Cl = Element.FromSymbol("Cl");

    [Fact]
    public void NeighbourSearch_AHugeFractionalCoordinate_IsRefused()
    {
        var sw = Stopwatch.StartNew();
        var e = Assert.Throws<ArgumentException>(() => NeighborSearch.FindNeighbors(Lattice.Cubic(5.6), [new Vec3(0, 0, 0), new Vec3(2e9, 0.5, 0.5)], 5.0));
        Assert.Contains("site 1", e.Message);
        Assert.Contains("beyond", e.Message);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void NeighbourSearch_ACellFarSmallerThanTheCutoff_IsRefused()
    {
        // A slab 1e-9 Å thick (volume 1000 Å³): the images along c would overflow a 32-bit counter.
        var flat = new Lattice([[1e6, 0, 0], [0, 1e6, 0], [0, 0, 1e-9]]);
        var sw = Stopwatch.StartNew();
        var e = Assert.Throws<ArgumentException>(() => NeighborSearch.FindNeighbors(flat, [new Vec3(0, 0, 0), new Vec3(0.5, 0.5, 0.5)], 5.0));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5));
        Assert.Contains("too small", e.Message);
        // A small but sensible cell still works: 2.5 Å cubic, 5 Å cutoff, 3 images per side.
        Assert.True(NeighborSearch.FindNeighbors(Lattice.Cubic(2.5), [new Vec3(0, 0, 0)], 5.0).Count > 0);
    }

    [Fact]
    public void Smact_MoreDistinctElementsThanTheLimit_IsRefused_AndTheLimitItselfIsChecked()
    {
        var many = Element.All.Where(x => x.OxidationStates.Count > 0 && !x.IsSmactMetal).Take(SmactValidity.MaxDistinctElements + 1)
            .OrderBy(x => x.Z).ToArray();
        Assert.Equal(SmactValidity.MaxDistinctElements + 1, many.Length);
        var e = Assert.Throws<ArgumentException>(() => SmactValidity.IsValid(many, Enumerable.Repeat(1, many.Length).ToArray()));
        Assert.Contains($"up to {SmactValidity.MaxDistinctElements}", e.Message);
        Assert.True(SmactValidity.IsValid([Na, Cl], [1, 1]));
    }

    [Fact]
    public void Cif_SymmetryExpansionBeyondTheLimit_IsRefusedWithTheFileAndBlock()
    {
        // 48 operations (m-3m point group at the origin, as x,y,z permutations and signs) on 30 general positions.
        var ops = new List<string>();
        string[][] perms = [["x", "y", "z"], ["y", "z", "x"], ["z", "x", "y"], ["y", "x", "z"], ["x", "z", "y"], ["z", "y", "x"]];
        foreach (var p in perms)
            for (int s = 0; s < 8; s++)
                ops.Add(string.Join(",", p.Select((c, i) => ((s >> i) & 1) == 1 ? "-" + c : c)));
        var cif = new StringBuilder("data_big\n_cell_length_a 30\n_cell_length_b 30\n_cell_length_c 30\n_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n");
        cif.Append("loop_\n_symmetry_equiv_pos_as_xyz\n");
        foreach (var op in ops) cif.Append('\'').Append(op).Append("'\n");
        cif.Append("loop_\n_atom_site_type_symbol\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n");
        for (int i = 0; i < 30; i++) cif.Append($"Na Na{i} {0.01 + 0.013 * i:F4} {0.02 + 0.007 * i:F4} {0.03 + 0.011 * i:F4}\n");
        var e = Assert.Throws<CrystalFormatException>(() => CifReader.Parse(cif.ToString(), "big.cif"));
        Assert.Contains("big.cif", e.Message);
        Assert.Contains($"beyond {CifReader.MaxSites}", e.Message);
    }
}
