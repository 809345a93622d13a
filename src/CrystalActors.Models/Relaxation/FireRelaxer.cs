using CrystalActors.Crystals;
using CrystalActors.Models.M3gnet;

namespace CrystalActors.Models.Relaxation;

public sealed record RelaxOptions
{
    /// <summary>Converged when every row of the optimiser's forces (atoms, and cell rows with cell relaxation) is below this (eV/Å).</summary>
    public double Fmax { get; init; } = 0.1;
    public int MaxSteps { get; init; } = 200;
    /// <summary>Relax the cell with <see cref="FrechetCellFilter"/> (matgl Relaxer's relax_cell = True); false keeps it fixed.</summary>
    public bool RelaxCell { get; init; } = true;
    public FireSettings Fire { get; init; } = new();
    /// <summary>The run is stopped as diverged when the volume grows or shrinks by more than this factor.</summary>
    public double MaxVolumeRatio { get; init; } = 5.0;
}

public enum RelaxStatus
{
    Converged,
    MaxStepsReached,
    /// <summary>Energy, forces or stress became NaN/infinite.</summary>
    DivergedNonFinite,
    /// <summary>The cell volume left [V₀ / ratio, V₀ · ratio] or the cell turned degenerate.</summary>
    DivergedVolume,
}

/// <summary>One point of a relaxation trajectory: energy (eV), largest atomic force |F_i| (eV/Å), volume (Å³).</summary>
public readonly record struct RelaxStep(int Step, double Energy, double MaxForce, double Volume);

public sealed record RelaxationResult
{
    public required RelaxStatus Status { get; init; }
    public string? Message { get; init; }
    /// <summary>Optimizer steps taken (ASE's nsteps).</summary>
    public required int Steps { get; init; }
    public required IReadOnlyList<Element> Species { get; init; }
    /// <summary>Final cell rows (Å).</summary>
    public required Mat3 Lattice { get; init; }
    /// <summary>Final fractional coordinates, flattened [n, 3] (not wrapped).</summary>
    public required double[] FracCoords { get; init; }
    /// <summary>Initial state first, then one entry per step.</summary>
    public required IReadOnlyList<RelaxStep> Trajectory { get; init; }
    public required PotentialResult Final { get; init; }

    public double InitialEnergy => Trajectory[0].Energy;
    public double FinalEnergy => Final.Energy;
    public double FinalEnergyPerAtom => Final.EnergyPerAtom;
    public bool IsDiverged => Status is RelaxStatus.DivergedNonFinite or RelaxStatus.DivergedVolume;

    /// <summary>The relaxed crystal (not available after a divergence, whose geometry is meaningless).</summary>
    public Structure ToStructure(string? id = null)
    {
        if (IsDiverged) throw new InvalidOperationException($"relaxation diverged ({Status}: {Message}); there is no relaxed structure");
        var frac = new Vec3[Species.Count];
        for (int i = 0; i < frac.Length; i++) frac[i] = new Vec3(FracCoords[3 * i], FracCoords[3 * i + 1], FracCoords[3 * i + 2]);
        return Structure.FromSpecies(new Lattice(Lattice), Species, frac, id);
    }
}

/// <summary>
/// Relaxes crystals with FIRE on the M3GNet potential, reproducing matgl's <c>Relaxer</c> (ASE 3.23 FIRE with
/// default settings on a <c>FrechetCellFilter</c>, stress in eV/Å³): each iteration is one potential call, the
/// run stops when the largest generalised force is below fmax or after MaxSteps. Several crystals are relaxed in
/// lockstep with one batched potential call per iteration; each keeps its own FIRE state, so its trajectory is
/// the one it would have alone.
/// </summary>
public sealed class FireRelaxer
{
    private readonly M3gnetPotential _potential;

    public FireRelaxer(M3gnetPotential potential, RelaxOptions? options = null)
    {
        _potential = potential;
        Options = options ?? new RelaxOptions();
    }

    public RelaxOptions Options { get; }

    public RelaxationResult Relax(Structure structure) => Relax([structure])[0];

    public IReadOnlyList<RelaxationResult> Relax(IReadOnlyList<Structure> structures)
    {
        var runs = structures.Select(s => new Run(s, _potential.ToInput(s).Types, Options)).ToArray();
        var active = runs.ToList();
        Evaluate(active);
        foreach (var r in active) r.Record(Options);
        active.RemoveAll(r => r.Status is not null);
        while (active.Count > 0)
        {
            foreach (var r in active) r.Step();
            active.RemoveAll(r => r.Status is not null);
            if (active.Count == 0) break;
            Evaluate(active);
            foreach (var r in active) r.Record(Options);
            active.RemoveAll(r => r.Status is not null);
        }
        return runs.Select(r => r.ToResult()).ToArray();
    }

    private void Evaluate(List<Run> runs)
    {
        var inputs = runs.Select(r => r.Input()).ToArray();
        var results = _potential.Compute(inputs);
        for (int i = 0; i < runs.Count; i++) runs[i].Current = results[i];
    }

    /// <summary>The state of one crystal's relaxation.</summary>
    private sealed class Run
    {
        private readonly Structure _initial;
        private readonly int[] _types;
        private readonly Fire _fire;
        private readonly FrechetCellFilter? _filter;
        private readonly double _v0;
        private readonly List<RelaxStep> _trajectory = new();
        private double[] _cell;
        private double[] _positions;
        private double[]? _optimizerForces;
        private string? _message;
        private int _steps;

        public Run(Structure s, int[] types, RelaxOptions options)
        {
            _initial = s;
            _types = types;
            _fire = new Fire(options.Fire);
            var m = s.Lattice.Matrix;
            _cell = [m.M00, m.M01, m.M02, m.M10, m.M11, m.M12, m.M20, m.M21, m.M22];
            _positions = new double[3 * s.NumSites];
            for (int i = 0; i < s.NumSites; i++)
            {
                var c = s.Lattice.GetCartesianCoords(s.Sites[i].FracCoords);
                _positions[3 * i] = c.X; _positions[3 * i + 1] = c.Y; _positions[3 * i + 2] = c.Z;
            }
            _v0 = Math.Abs(Matrix3.Determinant(_cell));
            if (options.RelaxCell) _filter = new FrechetCellFilter(_cell, _positions);
        }

        public PotentialResult? Current { get; set; }
        public RelaxStatus? Status { get; private set; }

        public AtomsInput Input()
        {
            var inv = Matrix3.Inverse(_cell);
            var frac = FrechetCellFilter.ApplyRight(_positions, inv);
            return new AtomsInput(ToMat3(_cell), frac, _types, _positions);
        }

        /// <summary>Logs the evaluated state, then decides whether the run stops (ASE irun order: converged check after each step).</summary>
        public void Record(RelaxOptions options)
        {
            var r = Current!;
            double volume = Math.Abs(Matrix3.Determinant(_cell));
            _trajectory.Add(new RelaxStep(_steps, r.Energy, r.MaxForce, volume));
            if (!double.IsFinite(r.Energy) || r.Forces.Any(f => !double.IsFinite(f)) || r.Stress.Any(s => !double.IsFinite(s)))
            {
                Stop(RelaxStatus.DivergedNonFinite, $"non-finite energy/forces/stress at step {_steps}");
                return;
            }
            if (!(volume < _v0 * options.MaxVolumeRatio && volume > _v0 / options.MaxVolumeRatio) || Matrix3.Determinant(_cell) <= 0)
            {
                Stop(RelaxStatus.DivergedVolume, $"volume {volume:G6} Å³ left [{_v0 / options.MaxVolumeRatio:G6}, {_v0 * options.MaxVolumeRatio:G6}] at step {_steps} (initial {_v0:G6} Å³)");
                return;
            }
            _optimizerForces = _filter is null
                ? r.Forces
                : _filter.GetForces(r.Forces, r.Stress.Select(s => s / M3gnetPotential.EvPerA3ToGPa).ToArray(), volume);
            double maxRow2 = 0;
            for (int i = 0; i < _optimizerForces.Length / 3; i++)
            {
                double fx = _optimizerForces[3 * i], fy = _optimizerForces[3 * i + 1], fz = _optimizerForces[3 * i + 2];
                maxRow2 = Math.Max(maxRow2, fx * fx + fy * fy + fz * fz);
            }
            if (maxRow2 < options.Fmax * options.Fmax) Stop(RelaxStatus.Converged, null);
            else if (_steps >= options.MaxSteps) Stop(RelaxStatus.MaxStepsReached, $"fmax {Math.Sqrt(maxRow2):G4} eV/Å after {_steps} steps");
        }

        public void Step()
        {
            if (_filter is null)
            {
                _positions = _fire.Step(_positions, _optimizerForces!);
            }
            else
            {
                _filter.SetDofs(_fire.Step(_filter.GetDofs(), _optimizerForces!));
                _cell = _filter.Cell;
                _positions = _filter.Positions;
            }
            _steps++;
            if (!(Matrix3.Determinant(_cell) > Lattice.MinVolume) || _positions.Any(x => !double.IsFinite(x)))
                Stop(RelaxStatus.DivergedVolume, $"the cell became degenerate or non-finite at step {_steps}");
        }

        private void Stop(RelaxStatus status, string? message)
        {
            Status = status;
            _message = message;
        }

        public RelaxationResult ToResult()
        {
            var input = Input();
            return new RelaxationResult
            {
                Status = Status!.Value,
                Message = _message,
                Steps = _steps,
                Species = _initial.Species,
                Lattice = input.Lattice,
                FracCoords = input.FracCoords,
                Trajectory = _trajectory,
                Final = Current!,
            };
        }

        private static Mat3 ToMat3(double[] c) => new(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8]);
    }
}
