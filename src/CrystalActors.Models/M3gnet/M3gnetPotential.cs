using CrystalActors.Crystals;
using CrystalActors.Models.Graph;
using CrystalActors.Torch;

namespace CrystalActors.Models.M3gnet;

/// <summary>One periodic configuration to evaluate: lattice rows (Å), fractional coordinates [n, 3] and node types
/// (indices into the model's element list). <see cref="Cartesian"/>, when given, is what the radius graph is built
/// from (as matgl's ASE path does with <c>atoms.positions</c>); otherwise frac·L.
/// A non-periodic input (<see cref="Periodic"/> false, made by <see cref="ForMolecule"/>) has the identity as lattice,
/// Cartesian positions as "fractional" ones, a graph without images and zero stress.</summary>
public sealed record AtomsInput(Mat3 Lattice, double[] FracCoords, int[] Types, double[]? Cartesian = null, bool Periodic = true)
{
    public int NumAtoms => Types.Length;

    /// <summary>A molecule or cluster in free space: flattened Cartesian positions (Å) and node types.</summary>
    public static AtomsInput ForMolecule(double[] cartesian, int[] types) =>
        new(Mat3.Identity, cartesian, types, null, Periodic: false);
}

/// <summary>Energy (eV), forces (eV/Å, flattened [n, 3]) and stress (GPa, row-major 3×3, σ = (1/V) ∂E/∂ε, ASE sign:
/// positive = tensile, pressure = −tr σ / 3; not symmetrised, as matgl) of one crystal.</summary>
public sealed record PotentialResult(double Energy, int NumAtoms, double[] Forces, double[] Stress)
{
    public double EnergyPerAtom => Energy / NumAtoms;

    /// <summary>Largest |F| over atoms (eV/Å).</summary>
    public double MaxForce
    {
        get
        {
            double max = 0;
            for (int i = 0; i < NumAtoms; i++)
            {
                double fx = Forces[3 * i], fy = Forces[3 * i + 1], fz = Forces[3 * i + 2];
                max = Math.Max(max, Math.Sqrt(fx * fx + fy * fy + fz * fz));
            }
            return max;
        }
    }
}

/// <summary>
/// M3GNet as an interatomic potential (matgl <c>Potential</c>): energies, forces F = −∂E/∂x and stress
/// σ = (1/V)·∂E/∂ε·160.21766208 GPa by automatic differentiation, with the strain trick L' = L(I + ε), ε = 0,
/// positions frac·L' and image shifts n·L'. Many crystals are evaluated in one batched graph; each crystal's
/// three-body indices are kept inside the crystal, so batched results equal single-crystal ones (to float rounding).
/// Every step costs the same per edge or triple whatever the batch size (gathers and segment sums are single
/// loops, see <see cref="Tensor.GatherRows"/>), so a batch costs less per crystal than one crystal alone, whose
/// time is mostly per-op overhead. Intra-op threads follow <see cref="EdgesPerThread"/>.
/// Not thread-safe: use one instance per thread.
/// </summary>
public sealed class M3gnetPotential : IDisposable
{
    /// <summary>eV/Å³ → GPa.</summary>
    public const double EvPerA3ToGPa = 160.21766208;

    public M3gnetPotential(M3gnetModel model) => Model = model;

    public M3gnetModel Model { get; }

    /// <summary>Time spent per stage since the last <see cref="M3gnetStageTimes.Reset"/> (benchmarks, profiling).</summary>
    public M3gnetStageTimes Timings { get; } = new();

    /// <summary>Default of <see cref="EdgesPerThread"/>, measured on 2 cores (README, "Benchmarks").</summary>
    public const int DefaultEdgesPerThread = 8192;

    /// <summary>
    /// Intra-op thread rule: a call on a batch with E directed edges runs on
    /// min(<see cref="Torch.Torch.NumThreads"/>, max(1, E / EdgesPerThread)) libtorch threads, and the caller's
    /// setting is restored afterwards. A small graph's ops are too short to split (waking a second thread costs more
    /// than it saves, so 2 threads made one crystal at a time slower than 1), while a large batch is dominated by
    /// edge-sized matmuls that split well. Default <see cref="DefaultEdgesPerThread"/> (≈ 40 crystals of ≤ 12 sites
    /// per thread); 0 always uses <see cref="Torch.Torch.NumThreads"/>. The switch is
    /// <see cref="Torch.Torch.SetCallThreads"/> (OpenBLAS's count is process-wide, so potentials on several threads
    /// may see each other's setting: only speed, never results, depends on it).
    /// </summary>
    public int EdgesPerThread
    {
        get => _edgesPerThread;
        set => _edgesPerThread = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "edges per thread must be >= 0");
    }
    private int _edgesPerThread = DefaultEdgesPerThread;

    /// <summary>The intra-op threads a call on <paramref name="edges"/> directed edges uses when at most
    /// <paramref name="maxThreads"/> are allowed (see <see cref="EdgesPerThread"/>).</summary>
    public int ThreadsFor(int edges, int maxThreads) =>
        _edgesPerThread == 0 ? Math.Max(1, maxThreads) : Math.Clamp(edges / _edgesPerThread, 1, Math.Max(1, maxThreads));

    public static M3gnetPotential Load(string path, ScalarType dtype = ScalarType.Float32, Device? device = null) =>
        new(M3gnetModel.Load(path, dtype, device));

    /// <summary>Smallest cell volume per atom (Å³) evaluated: the densest elemental solids have about 5 Å³ per atom; far
    /// below, every atom has tens of thousands of neighbours within the cutoff and the three-body terms alone would
    /// exhaust memory (a 2e-3 Å³ cell did).</summary>
    public const double MinVolumePerAtom = 1.0;

    public AtomsInput ToInput(Structure s)
    {
        double perAtom = s.Lattice.Volume / Math.Max(1, s.NumSites);
        if (!(perAtom >= MinVolumePerAtom))
            throw new ArgumentException($"{s.Id ?? s.Composition.ReducedFormula}: {perAtom:G3} Å³ per atom is below {MinVolumePerAtom} Å³, not a physical " +
                                        "crystal; M3GNet would need more neighbours than memory holds");
        var frac = new double[3 * s.NumSites];
        var types = new int[s.NumSites];
        for (int i = 0; i < s.NumSites; i++)
        {
            var f = s.Sites[i].FracCoords;
            frac[3 * i] = f.X; frac[3 * i + 1] = f.Y; frac[3 * i + 2] = f.Z;
            types[i] = Model.TypeIndex(s.Sites[i].Species);
        }
        return new AtomsInput(s.Lattice.Matrix, frac, types);
    }

    /// <summary>A molecule or cluster in free space (no periodic images).</summary>
    public AtomsInput ToInput(Molecule m) => AtomsInput.ForMolecule(m.FlatPositions(), m.Species.Select(Model.TypeIndex).ToArray());

    public PotentialResult Compute(Structure structure) => Compute([ToInput(structure)])[0];

    /// <summary>Energy and forces of a molecule or cluster in free space (stress is zero).</summary>
    public PotentialResult Compute(Molecule molecule) => Compute([ToInput(molecule)])[0];

    public PotentialResult[] Compute(IReadOnlyList<Structure> structures) => Compute(structures.Select(ToInput).ToArray());

    /// <summary>Evaluates all configurations in one batched graph.</summary>
    public PotentialResult[] Compute(IReadOnlyList<AtomsInput> inputs)
    {
        if (inputs.Count == 0) return [];
        long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        var graphs = new RadiusGraph[inputs.Count];
        for (int g = 0; g < inputs.Count; g++)
        {
            var a = inputs[g];
            graphs[g] = !a.Periodic
                ? RadiusGraph.BuildNonPeriodic(a.FracCoords, Model.Config.Cutoff)
                : a.Cartesian is null
                ? RadiusGraph.Build(a.Lattice, a.FracCoords, Model.Config.Cutoff)
                : RadiusGraph.BuildFromCartesian(a.Lattice, a.Cartesian, Model.Config.Cutoff);
        }
        var batch = GraphBatch.Concatenate(graphs);
        Timings.AddGraph(t0);
        t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        var triples = ThreeBodyIndex.Build(batch, Model.Config.ThreeBodyCutoff);
        Timings.AddThreeBody(t0);
        Timings.AddCall(inputs.Count, batch.NumNodes, batch.NumEdges, triples.Count);
        if (Model.Device.Type != DeviceType.CPU) return Evaluate(inputs, batch, triples);
        int configured = Torch.Torch.NumThreads;
        int threads = ThreadsFor(batch.NumEdges, configured);
        if (threads == configured) return Evaluate(inputs, batch, triples);
        Torch.Torch.SetCallThreads(threads);
        try
        {
            return Evaluate(inputs, batch, triples);
        }
        finally
        {
            Torch.Torch.SetCallThreads(configured);
        }
    }

    private PotentialResult[] Evaluate(IReadOnlyList<AtomsInput> inputs, GraphBatch batch, ThreeBodyIndex triples)
    {
        long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        int nG = batch.NumGraphs, nN = batch.NumNodes, nE = batch.NumEdges;
        var dtype = Model.DType;
        var device = Model.Device;
        var lattice = new double[9 * nG];
        var frac = new double[3 * nN];
        var types = new long[nN];
        for (int g = 0; g < nG; g++)
        {
            var a = inputs[g];
            var m = a.Lattice;
            lattice[9 * g] = m.M00; lattice[9 * g + 1] = m.M01; lattice[9 * g + 2] = m.M02;
            lattice[9 * g + 3] = m.M10; lattice[9 * g + 4] = m.M11; lattice[9 * g + 5] = m.M12;
            lattice[9 * g + 6] = m.M20; lattice[9 * g + 7] = m.M21; lattice[9 * g + 8] = m.M22;
            int n0 = batch.NodeOffsets[g];
            Array.Copy(a.FracCoords, 0, frac, 3 * n0, a.FracCoords.Length);
            for (int i = 0; i < a.NumAtoms; i++) types[n0 + i] = a.Types[i];
        }
        var images = new double[3 * nE];
        for (int i = 0; i < images.Length; i++) images[i] = batch.Images[i];
        var src = new long[nE];
        var dst = new long[nE];
        for (int e = 0; e < nE; e++) { src[e] = batch.Src[e]; dst[e] = batch.Dst[e]; }

        using var scope = DisposeScope.Open();
        // matgl casts lattice, fractional coordinates and images to the model dtype BEFORE forming positions.
        var lat = Tensor.From<double>(lattice, nG, 3, 3).To(dtype, device);
        var strain = Tensor.Zeros([nG, 3, 3], dtype, device).RequiresGrad_();
        var eye = Tensor.From<double>([1, 0, 0, 0, 1, 0, 0, 0, 1], 3, 3).To(dtype, device);
        var strained = lat.MatMul(eye + strain);
        var fracT = Tensor.From<double>(frac, nN, 3).To(dtype, device);
        var imagesT = Tensor.From<double>(images, nE, 3).To(dtype, device);
        var srcT = Tensor.From<long>(src, nE).To(device);
        var dstT = Tensor.From<long>(dst, nE).To(device);
        Tensor pos, shift, nodeGraph;
        if (nG == 1)
        {
            var l0 = strained.Select(0, 0);
            pos = fracT.MatMul(l0);
            shift = imagesT.MatMul(l0);
            nodeGraph = Tensor.Zeros([nN], ScalarType.Int64, device);
        }
        else
        {
            nodeGraph = Tensor.From<long>(batch.NodeGraph, nN).To(device);
            var edgeGraph = Tensor.From<long>(batch.EdgeGraph, nE).To(device);
            // Row-vector × per-crystal lattice as broadcast multiply + sum: a batched matmul of thousands of 1×3·3×3
            // products (and its backward) costs far more in libtorch's per-matrix dispatch.
            pos = (fracT.Unsqueeze(2) * strained.GatherRows(nodeGraph)).Sum(1);
            shift = (imagesT.Unsqueeze(2) * strained.GatherRows(edgeGraph)).Sum(1);
        }
        var bond = pos.GatherRows(dstT) + shift - pos.GatherRows(srcT);

        Tensor? Idx(long[] a) => triples.Count == 0 ? null : Tensor.From<long>(a, a.Length).To(device);
        var x = new M3gnetModel.Inputs(Tensor.From<long>(types, nN).To(device), bond, srcT, dstT, nodeGraph, nG,
            triples.Count, Idx(triples.GeomEdge1), Idx(triples.GeomEdge2), Idx(triples.WeightEdge1), Idx(triples.WeightEdge2),
            Idx(triples.GateAtom), Idx(triples.Segment),
            triples.Count == 0 ? null : Tensor.Arange(0, triples.Count, dtype: ScalarType.Int64, device: device));
        var energy = Model.Forward(x);
        Timings.AddForward(t0);
        t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        var grads = Autograd.Grad([energy.Sum()], [pos, strain]);

        var energies = energy.To(ScalarType.Float64, Torch.Device.CPU).ToArray<double>();
        var forces = grads[0]!.To(ScalarType.Float64, Torch.Device.CPU).ToArray<double>();
        var dEdStrain = grads[1]!.To(ScalarType.Float64, Torch.Device.CPU).ToArray<double>();

        var results = new PotentialResult[nG];
        for (int g = 0; g < nG; g++)
        {
            var a = inputs[g];
            int n0 = batch.NodeOffsets[g];
            var f = new double[3 * a.NumAtoms];
            for (int i = 0; i < f.Length; i++) f[i] = -forces[3 * n0 + i];
            double volume = Math.Abs(a.Lattice.Determinant);
            var stress = new double[9];
            if (a.Periodic)
                for (int i = 0; i < 9; i++) stress[i] = dEdStrain[9 * g + i] / volume * EvPerA3ToGPa;
            results[g] = new PotentialResult(energies[g] + Model.ReferenceEnergy(a.Types), a.NumAtoms, f, stress);
        }
        Timings.AddBackward(t0);
        return results;
    }

    public void Dispose() => Model.Dispose();
}
