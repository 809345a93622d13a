using CrystalActors.Crystals;
using CrystalActors.Models.Clusters;

namespace CrystalActors.Models.Relaxation;

/// <summary>Options of <see cref="ClusterRelaxer"/>: force threshold (energy/Å), step cap and FIRE settings.</summary>
public sealed record ClusterRelaxOptions
{
    /// <summary>Converged when the largest atomic force is below this (default 0.05 eV/Å).</summary>
    public double Fmax { get; init; } = 0.05;
    /// <summary>Most FIRE steps (default 300); each step is one energy evaluation.</summary>
    public int MaxSteps { get; init; } = 300;
    public FireSettings Fire { get; init; } = new();
}

/// <summary>A relaxed cluster: final geometry and energy, steps taken (= energy evaluations − 1 when not converged
/// at the start) and whether the force threshold was met.</summary>
public sealed record ClusterRelaxation(Molecule Initial, Molecule Final, double InitialEnergy, double FinalEnergy, int Steps, int Evaluations, bool Converged);

/// <summary>
/// FIRE minimisation of clusters in free space: the same <see cref="Fire"/> stepper as the crystal relaxer, on the
/// Cartesian positions only (no cell filter, no stress). Many clusters step together, one batched potential call
/// per step; a cluster leaves the batch when converged.
/// </summary>
public sealed class ClusterRelaxer(IClusterPotential potential, ClusterRelaxOptions? options = null)
{
    public IClusterPotential Potential { get; } = potential;
    public ClusterRelaxOptions Options { get; } = options ?? new();

    public ClusterRelaxation Relax(Molecule cluster) => Relax([cluster])[0];

    public IReadOnlyList<ClusterRelaxation> Relax(IReadOnlyList<Molecule> clusters)
    {
        int n = clusters.Count;
        var fire = clusters.Select(_ => new Fire(Options.Fire)).ToArray();
        var pos = clusters.Select(c => c.FlatPositions()).ToArray();
        var current = new Molecule[n];
        var e0 = new double[n];
        var e = new double[n];
        var steps = new int[n];
        var evals = new int[n];
        var done = new bool[n];
        var converged = new bool[n];
        for (int i = 0; i < n; i++) current[i] = clusters[i];
        for (int step = 0; ; step++)
        {
            var active = Enumerable.Range(0, n).Where(i => !done[i]).ToArray();
            if (active.Length == 0) break;
            var res = Potential.Compute(active.Select(i => current[i]).ToArray());
            for (int k = 0; k < active.Length; k++)
            {
                int i = active[k];
                evals[i]++;
                e[i] = res[k].Energy;
                if (step == 0) e0[i] = e[i];
                if (!double.IsFinite(e[i])) { done[i] = true; continue; }
                if (res[k].MaxForce < Options.Fmax) { done[i] = converged[i] = true; continue; }
                if (step >= Options.MaxSteps) { done[i] = true; continue; }
                pos[i] = fire[i].Step(pos[i], res[k].Forces);
                current[i] = current[i].WithPositions(pos[i]);
                steps[i]++;
            }
        }
        return Enumerable.Range(0, n).Select(i => new ClusterRelaxation(clusters[i], current[i], e0[i], e[i], steps[i], evals[i], converged[i])).ToArray();
    }
}
