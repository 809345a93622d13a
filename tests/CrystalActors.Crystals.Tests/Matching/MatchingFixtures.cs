namespace CrystalActors.Crystals.Tests.Matching;

/// <summary>Hand-built prototypes and the symmetry-preserving edits the matcher must see through.</summary>
internal static class MatchingFixtures
{
    public static readonly Element Na = Element.FromSymbol("Na"), Cl = Element.FromSymbol("Cl"), K = Element.FromSymbol("K"), Cs = Element.FromSymbol("Cs");

    /// <summary>Rock-salt AB in its conventional 8-atom cubic cell (Fm-3m).</summary>
    public static Structure RockSalt(Element a, Element b, double lattice)
    {
        var fcc = new[] { new Vec3(0, 0, 0), new Vec3(0, 0.5, 0.5), new Vec3(0.5, 0, 0.5), new Vec3(0.5, 0.5, 0) };
        return new Structure(Lattice.Cubic(lattice),
            fcc.Select(f => new Site(a, f)).Concat(fcc.Select(f => new Site(b, (f + new Vec3(0.5, 0.5, 0.5)).WrapUnit()))));
    }

    /// <summary>CsCl-type AB: A at the corner, B at the body centre of a cube (Pm-3m).</summary>
    public static Structure CsClType(Element a, Element b, double lattice) =>
        new(Lattice.Cubic(lattice), [new Site(a, Vec3.Zero), new Site(b, new Vec3(0.5, 0.5, 0.5))]);

    /// <summary>The sites in a shuffled order (fixed seed).</summary>
    public static Structure Permute(Structure s, int seed)
    {
        var rng = new Random(seed);
        return new Structure(s.Lattice, s.Sites.OrderBy(_ => rng.Next()).ToArray(), s.Id);
    }

    /// <summary>A rigid rotation of the Cartesian frame: lattice vectors rotated, fractional coordinates kept.</summary>
    public static Structure Rotate(Structure s, Vec3 axis, double degrees)
    {
        Vec3 u = axis / axis.Length;
        double t = degrees * Math.PI / 180, c = Math.Cos(t), sn = Math.Sin(t), C = 1 - c;
        var r = new Mat3(
            c + u.X * u.X * C, u.X * u.Y * C - u.Z * sn, u.X * u.Z * C + u.Y * sn,
            u.Y * u.X * C + u.Z * sn, c + u.Y * u.Y * C, u.Y * u.Z * C - u.X * sn,
            u.Z * u.X * C - u.Y * sn, u.Z * u.Y * C + u.X * sn, c + u.Z * u.Z * C);
        // rows v -> R v, i.e. M' = M R^T
        return new Structure(new Lattice(s.Lattice.Matrix * r.Transpose()), s.Sites, s.Id);
    }

    /// <summary>Every site moved by exactly <paramref name="amplitude"/> Å in a random direction (fixed seed).</summary>
    public static Structure Perturb(Structure s, double amplitude, int seed)
    {
        var rng = new Random(seed);
        var sites = s.Sites.Select(site =>
        {
            Vec3 d;
            do d = new Vec3(2 * rng.NextDouble() - 1, 2 * rng.NextDouble() - 1, 2 * rng.NextDouble() - 1);
            while (d.Length < 0.1 || d.Length > 1);
            var cart = s.Lattice.GetCartesianCoords(site.FracCoords) + amplitude / d.Length * d;
            return site with { FracCoords = s.Lattice.GetFractionalCoords(cart) };
        });
        return new Structure(s.Lattice, sites.ToArray(), s.Id);
    }

    /// <summary>Uniform scaling of the cell volume by <paramref name="volumeFactor"/> (fractional coordinates kept).</summary>
    public static Structure ScaleVolume(Structure s, double volumeFactor) =>
        new(new Lattice(Math.Cbrt(volumeFactor) * s.Lattice.Matrix), s.Sites, s.Id);

    /// <summary>The na × nb × nc supercell.</summary>
    public static Structure Supercell(Structure s, int na, int nb, int nc)
    {
        var m = s.Lattice.Matrix;
        var lattice = new Lattice(Mat3.FromRows(na * m.Row(0), nb * m.Row(1), nc * m.Row(2)));
        var sites = new List<Site>();
        for (int i = 0; i < na; i++)
            for (int j = 0; j < nb; j++)
                for (int k = 0; k < nc; k++)
                    foreach (var site in s.Sites)
                    {
                        var f = site.FracCoords;
                        sites.Add(site with { FracCoords = new Vec3((f.X + i) / na, (f.Y + j) / nb, (f.Z + k) / nc) });
                    }
        return new Structure(lattice, sites, s.Id);
    }
}
