using CrystalActors.Crystals;
using CrystalActors.Models.M3gnet;

namespace CrystalActors.Models.Clusters;

/// <summary>Energy (eV, or ε for Lennard-Jones) and forces (flattened [n, 3], energy/Å) of one cluster in free space.</summary>
public sealed record ClusterEnergy(double Energy, double[] Forces)
{
    /// <summary>Largest |F| over atoms.</summary>
    public double MaxForce
    {
        get
        {
            double max = 0;
            for (int i = 0; i < Forces.Length / 3; i++)
                max = Math.Max(max, Math.Sqrt(Forces[3 * i] * Forces[3 * i] + Forces[3 * i + 1] * Forces[3 * i + 1] + Forces[3 * i + 2] * Forces[3 * i + 2]));
            return max;
        }
    }
}

/// <summary>
/// An energy model for non-periodic clusters: the reward of the cluster environment, the objective of the baselines
/// and the forces of <see cref="Relaxation.ClusterRelaxer"/>. One call evaluates a batch; each cluster in it counts
/// as one energy evaluation (<see cref="CountingPotential"/>). Implementations need not be thread-safe.
/// </summary>
public interface IClusterPotential
{
    /// <summary>Short name for logs and outputs ("m3gnet", "lennard-jones").</summary>
    string Name { get; }

    ClusterEnergy[] Compute(IReadOnlyList<Molecule> clusters);
}

public static class ClusterPotentialExtensions
{
    public static ClusterEnergy Compute(this IClusterPotential p, Molecule cluster) => p.Compute([cluster])[0];
}

/// <summary>
/// Lennard-Jones pair potential E = Σ_{i&lt;j} 4ε[(σ/r)^12 − (σ/r)^6], no cutoff; the test double of the energy
/// models (the LJ13 icosahedron has E = −44.326801 ε at σ = 1). Every element is treated alike.
/// </summary>
public sealed class LennardJonesPotential(double epsilon = 1.0, double sigma = 1.0) : IClusterPotential
{
    public double Epsilon { get; } = epsilon > 0 ? epsilon : throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "ε must be positive");
    public double Sigma { get; } = sigma > 0 ? sigma : throw new ArgumentOutOfRangeException(nameof(sigma), sigma, "σ must be positive (Å)");
    public string Name => "lennard-jones";

    public ClusterEnergy[] Compute(IReadOnlyList<Molecule> clusters) => clusters.Select(One).ToArray();

    private ClusterEnergy One(Molecule m)
    {
        int n = m.NumAtoms;
        var f = new double[3 * n];
        double e = 0, s2 = Sigma * Sigma;
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
            {
                var d = m.Positions[j] - m.Positions[i];
                double r2 = d.LengthSquared;
                double sr6 = s2 * s2 * s2 / (r2 * r2 * r2);
                e += 4 * Epsilon * (sr6 * sr6 - sr6);
                // F_j = −dE/dx_j = 24ε(2 sr12 − sr6)/r² · d
                double k = 24 * Epsilon * (2 * sr6 * sr6 - sr6) / r2;
                f[3 * j] += k * d.X; f[3 * j + 1] += k * d.Y; f[3 * j + 2] += k * d.Z;
                f[3 * i] -= k * d.X; f[3 * i + 1] -= k * d.Y; f[3 * i + 2] -= k * d.Z;
            }
        return new ClusterEnergy(e, f);
    }
}

/// <summary>matgl's universal M3GNet potential on clusters in free space (non-periodic graph, see
/// <see cref="AtomsInput.ForMolecule"/>); the whole list is one batched graph.</summary>
public sealed class M3gnetClusterPotential(M3gnetPotential potential) : IClusterPotential
{
    public M3gnetPotential Potential { get; } = potential;
    public string Name => "m3gnet";

    public ClusterEnergy[] Compute(IReadOnlyList<Molecule> clusters)
    {
        if (clusters.Count == 0) return [];
        return Potential.Compute(clusters.Select(Potential.ToInput).ToArray()).Select(r => new ClusterEnergy(r.Energy, r.Forces)).ToArray();
    }
}

/// <summary>Counts energy evaluations (one per cluster per call) of an inner potential, so that searches can be
/// compared at equal budgets.</summary>
public sealed class CountingPotential(IClusterPotential inner) : IClusterPotential
{
    public IClusterPotential Inner { get; } = inner;
    public string Name => Inner.Name;
    /// <summary>Clusters evaluated so far.</summary>
    public long Evaluations { get; private set; }

    public ClusterEnergy[] Compute(IReadOnlyList<Molecule> clusters)
    {
        Evaluations += clusters.Count;
        return Inner.Compute(clusters);
    }
}

/// <summary>Textbook cluster geometries used as fixtures and start points.</summary>
public static class ReferenceClusters
{
    /// <summary>Global minimum of LJ13 (Wales &amp; Doye, Cambridge Cluster Database), in units of ε.</summary>
    public const double Lj13MinimumEnergy = -44.326801;

    /// <summary>A centred icosahedron of 13 atoms of <paramref name="species"/>: the centre plus the 12 vertices
    /// (0, ±1, ±φ) and cyclic permutations, scaled to edge length <paramref name="edge"/> (Å).</summary>
    public static Molecule Icosahedron13(Element species, double edge)
    {
        double phi = (1 + Math.Sqrt(5)) / 2, s = edge / 2;
        var p = new List<Vec3> { Vec3.Zero };
        foreach (double a in new[] { -1.0, 1.0 })
            foreach (double b in new[] { -phi, phi })
            {
                p.Add(s * new Vec3(0, a, b));
                p.Add(s * new Vec3(a, b, 0));
                p.Add(s * new Vec3(b, 0, a));
            }
        return new Molecule(Enumerable.Repeat(species, 13), p, "icosahedron13");
    }
}
