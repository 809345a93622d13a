using CrystalActors.Crystals.Graphs;
using Xunit.Abstractions;

namespace CrystalActors.Crystals.Tests;

/// <summary>Agreement with pymatgen 2022.11.7 CrystalNN on the 400 sampled MP-20 val crystals.</summary>
public sealed class CrystalNNReferenceTests(ITestOutputHelper output)
{
    [Fact]
    public void GetEdges_ReferenceSample_MatchesPymatgenOnAtLeast95Percent()
    {
        var failures = new List<string>();
        int matched = 0, total = 0, edges = 0;
        foreach (var reference in CrystalNNTestData.References)
        {
            var crystal = CrystalNNTestData.Val[reference.Index];
            Assert.Equal(reference.MaterialId, crystal.MaterialId);
            var got = CrystalNN.GetEdges(crystal.Lattice, crystal.Frac).ToHashSet();
            total++;
            edges += got.Count;
            if (got.SetEquals(reference.Edges))
                matched++;
            else
                failures.Add($"{reference.Index} {reference.MaterialId}: missing {string.Join(" ", reference.Edges.Except(got))}; " +
                             $"extra {string.Join(" ", got.Except(reference.Edges))}");
        }
        output.WriteLine($"CrystalNN edge sets equal to pymatgen's: {matched}/{total} ({100.0 * matched / total:F2}%), {edges} edges");
        foreach (var f in failures) output.WriteLine(f);
        Assert.Equal(400, total);
        Assert.True(matched >= 0.95 * total, $"only {matched}/{total} edge sets match:\n{string.Join("\n", failures)}");
    }

    [Fact]
    public void GetEdges_CalledFromManyThreads_SameResultAsSequential()
    {
        // Each thread has its own worker buffers; a shared buffer would scramble results under contention.
        var crystals = CrystalNNTestData.References.Take(100).Select(r => CrystalNNTestData.Val[r.Index]).ToArray();
        var sequential = crystals.Select(c => CrystalNN.GetEdges(c.Lattice, c.Frac)).ToArray();
        var parallel = new IReadOnlyList<PeriodicEdge>[crystals.Length];

        Parallel.For(0, crystals.Length * 4, new ParallelOptions { MaxDegreeOfParallelism = 4 },
            k => parallel[k % crystals.Length] = CrystalNN.GetEdges(crystals[k % crystals.Length].Lattice, crystals[k % crystals.Length].Frac));

        for (int k = 0; k < crystals.Length; k++)
            Assert.Equal(sequential[k], parallel[k]);
    }

    [Fact]
    public void GetAllSiteNeighbors_ReferenceSample_SameCnSolidAnglesAndDistances()
    {
        int sites = 0, cnAgree = 0, faces = 0;
        double maxAngleError = 0, maxDistanceError = 0;
        var missing = new List<string>();
        foreach (var reference in CrystalNNTestData.References)
        {
            var crystal = CrystalNNTestData.Val[reference.Index];
            var mine = CrystalNN.GetAllSiteNeighbors(crystal.Lattice, crystal.Frac);
            foreach (var site in reference.Sites)
            {
                sites++;
                var result = mine[site.Site];
                if (result.CoordinationNumber == site.Cn) cnAgree++;
                var myFaces = result.Faces.ToDictionary(f => (f.J, f.A, f.B, f.C));
                foreach (var face in site.Voronoi)
                {
                    // Faces whose weight rounds to 0 are dropped by CrystalNN and may legitimately differ from
                    // Qhull's degenerate ridges; every face that matters must be there with the same angle.
                    if (face.WNorm < 0.0005) continue;
                    faces++;
                    if (!myFaces.TryGetValue((face.J, face.A, face.B, face.C), out var f))
                    {
                        missing.Add($"{reference.MaterialId} site {site.Site}: face to {face.J} [{face.A},{face.B},{face.C}]");
                        continue;
                    }
                    maxAngleError = Math.Max(maxAngleError, Math.Abs(f.SolidAngle - face.SolidAngle));
                    maxDistanceError = Math.Max(maxDistanceError, Math.Abs(f.Distance - face.Distance));
                }
                var refDistances = site.Neighbors.Select(n => n.Distance).Order().ToArray();
                var myDistances = result.Neighbors.Select(n => n.Distance).Order().ToArray();
                if (refDistances.Length == myDistances.Length)
                    for (int k = 0; k < refDistances.Length; k++)
                        maxDistanceError = Math.Max(maxDistanceError, Math.Abs(refDistances[k] - myDistances[k]));
            }
        }
        output.WriteLine($"sites {sites}, CN agreement {cnAgree}; faces with weight >= 0.0005: {faces}, missing {missing.Count}; " +
                         $"max |Δ solid angle| {maxAngleError:E2} sr, max |Δ distance| {maxDistanceError:E2} Å");
        Assert.Equal(3895, sites);
        Assert.Empty(missing);
        Assert.True(cnAgree >= 0.99 * sites, $"CN agrees on {cnAgree}/{sites} sites");
        // Qhull's vertices carry ~1e-9 of round-off from the lifted paraboloid; the clipped cell is exact to ~1e-14.
        Assert.True(maxAngleError < 1e-7, $"solid angles differ by up to {maxAngleError}");
        Assert.True(maxDistanceError < 1e-6, $"distances differ by up to {maxDistanceError}");
    }
}
