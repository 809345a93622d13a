using CrystalActors.Crystals;
using CrystalActors.Torch;
using CrystalActors.Torch.Serialization;

namespace CrystalActors.Models.M3gnet;

/// <summary>
/// The M3GNet network of matgl (<c>matgl.models._m3gnet.M3GNet</c> inside <c>matgl.apps.pes.Potential</c>), with
/// the pretrained weights of a safetensors file: element embedding, radial basis, three-body interactions
/// before each gated graph convolution, a gated per-atom readout, and the data normalisation
/// (data_std, data_mean) and element reference energies of the potential. Hyperparameters come from the file's
/// <c>m3gnet_init_args</c> metadata. See <c>../shared/reference/matgl-ARCHITECTURE.md</c> §2.
/// </summary>
public sealed class M3gnetModel : IDisposable
{
    private readonly WeightStore _weights;
    private readonly Dictionary<string, int> _typeIndex;
    private readonly RadialBasis _edgeBasis, _threeBodyRadial;
    private readonly Tensor _nodeEmbedding, _edgeEmbeddingW, _edgeEmbeddingB;
    private readonly Tensor _yConst, _yLinear, _yQuadratic; // Y_{c/3}(cosθ) = const + linear·cos + quadratic·cos²
    private readonly Block[] _blocks;
    private readonly GatedMlp _readout;

    private sealed record Block(Tensor AtomW, Tensor AtomB, Tensor BondW, Tensor BondGateW,
        GatedMlp EdgeUpdate, Tensor EdgeWeight, GatedMlp NodeUpdate, Tensor NodeWeight);

    public M3gnetConfig Config { get; }
    public string Name { get; }
    public ScalarType DType { get; }
    public Device Device { get; }
    public double DataMean { get; }
    public double DataStd { get; }
    /// <summary>Per-type reference energies (eV), indexed like <see cref="M3gnetConfig.ElementTypes"/>.</summary>
    public IReadOnlyList<double> ElementReferences { get; }

    private M3gnetModel(SafeTensorFile file, string path, ScalarType dtype, Device device)
    {
        if (!file.Metadata.TryGetValue("m3gnet_init_args", out var initArgs))
            throw new InvalidDataException($"{path}: no 'm3gnet_init_args' in the safetensors __metadata__ (not a matgl M3GNet potential?)");
        Config = M3gnetConfig.FromInitArgs(initArgs, path);
        Name = file.Metadata.TryGetValue("model_name", out var name) ? name : Path.GetFileNameWithoutExtension(path);
        DType = dtype;
        Device = device;
        _typeIndex = Config.ElementTypes.Select((s, i) => (s, i)).ToDictionary(p => p.s, p => p.i);

        var w = _weights = new WeightStore(file.Tensors, path, dtype, device);
        var c = Config;
        int nTypes = c.ElementTypes.Count, dn = c.NodeEmbeddingDim, de = c.EdgeEmbeddingDim, u = c.Units;
        int kEdge = c.EdgeBasisSize, kTb = c.ThreeBodyBasisSize;
        DataMean = w.Scalar("data_mean");
        DataStd = w.Scalar("data_std");
        ElementReferences = w.Vector("element_refs.property_offset", nTypes);
        double rbfCutoff = w.Scalar("model.bond_expansion.rbf.cutoff");
        double sbfCutoff = w.Scalar("model.basis_expansion.sbf.cutoff");

        _edgeBasis = new RadialBasis(c.MaxN, c.MaxL, rbfCutoff, c.UseSmooth, dtype, device);
        // The three-body radial part has max_n·max_l functions in both bases (smooth: g_0..g_8).
        _threeBodyRadial = c.UseSmooth
            ? new RadialBasis(c.MaxN * c.MaxL, 0, sbfCutoff, true, dtype, device)
            : new RadialBasis(c.MaxN, c.MaxL, sbfCutoff, false, dtype, device);

        _nodeEmbedding = w.Get("model.embedding.layer_node_embedding.weight", nTypes, dn);
        _edgeEmbeddingW = w.Get("model.embedding.layer_edge_embedding.layers.0.weight", de, kEdge);
        _edgeEmbeddingB = w.Get("model.embedding.layer_edge_embedding.layers.0.bias", de);

        // Real spherical harmonics Y_l⁰ for l = 0, 1, 2, column c uses l = c / max_n.
        var y0 = new double[kTb]; var y1 = new double[kTb]; var y2 = new double[kTb];
        for (int col = 0; col < kTb; col++)
        {
            switch (col / c.MaxN)
            {
                case 0: y0[col] = 0.5 * Math.Sqrt(1 / Math.PI); break;
                case 1: y1[col] = Math.Sqrt(3 / (4 * Math.PI)); break;
                case 2: y2[col] = 0.75 * Math.Sqrt(5 / Math.PI); y0[col] = -0.25 * Math.Sqrt(5 / Math.PI); break;
            }
        }
        _yConst = RadialBasis.Keep(Tensor.From(y0), dtype, device);
        _yLinear = RadialBasis.Keep(Tensor.From(y1), dtype, device);
        _yQuadratic = RadialBasis.Keep(Tensor.From(y2), dtype, device);

        int[] convDims = [2 * dn + de, u, u, de];
        _blocks = new Block[c.NumBlocks];
        for (int k = 0; k < c.NumBlocks; k++)
        {
            string tb = $"model.three_body_interactions.{k}", gl = $"model.graph_layers.{k}.conv";
            _blocks[k] = new Block(
                w.Get($"{tb}.update_network_atom.layers.0.weight", kTb, dn),
                w.Get($"{tb}.update_network_atom.layers.0.bias", kTb),
                w.Get($"{tb}.update_network_bond.layers.0.weight", de, kTb),
                w.Get($"{tb}.update_network_bond.gates.0.weight", de, kTb),
                new GatedMlp(w, $"{gl}.edge_update_func", convDims, activateLast: true, nodeDim: dn),
                w.Get($"{gl}.edge_weight_func.weight", de, kEdge),
                new GatedMlp(w, $"{gl}.node_update_func", convDims, activateLast: true, nodeDim: dn),
                w.Get($"{gl}.node_weight_func.weight", de, kEdge));
        }
        _readout = new GatedMlp(w, "model.final_layer.gated", [dn, dn, u, u, 1], activateLast: false);
    }

    /// <summary>Loads a matgl M3GNet potential from a safetensors file.</summary>
    /// <exception cref="FileNotFoundException">the file does not exist.</exception>
    /// <exception cref="InvalidDataException">missing metadata or weights, or unsupported settings (naming the file).</exception>
    public static M3gnetModel Load(string path, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"M3GNet weight file '{path}' not found", path);
        using var file = SafeTensors.Load(path);
        return new M3gnetModel(file, path, dtype, device ?? Torch.Device.CPU);
    }

    /// <summary>The node type of an element (its position in the model's element list).</summary>
    /// <exception cref="ArgumentException">the element is not covered by the potential.</exception>
    public int TypeIndex(Element element) =>
        _typeIndex.TryGetValue(element.Symbol, out int i) ? i
            : throw new ArgumentException($"element {element.Symbol} is not covered by the M3GNet potential {Name} ({Config.ElementTypes.Count} elements)");

    /// <summary>Sum of the element reference energies of the given types (eV).</summary>
    public double ReferenceEnergy(ReadOnlySpan<int> types)
    {
        double sum = 0;
        foreach (int t in types) sum += ElementReferences[t];
        return sum;
    }

    /// <summary>Geometry and index tensors of a batch, already on the model's device and dtype.</summary>
    internal readonly record struct Inputs(
        Tensor Types, Tensor BondVectors, Tensor Src, Tensor Dst, Tensor NodeGraph, int NumGraphs,
        int NumTriples, Tensor? GeomEdge1, Tensor? GeomEdge2, Tensor? WeightEdge1, Tensor? WeightEdge2, Tensor? GateAtom, Tensor? Segment,
        Tensor? TripleIds);

    /// <summary>Per-crystal energies [G] (eV) WITHOUT the element reference energies: data_std·Σ_i ε_i + data_mean.</summary>
    internal Tensor Forward(in Inputs x)
    {
        var dist = x.BondVectors.Norm(2, [1]);
        var rbf = _edgeBasis.Forward(dist);
        var v = _nodeEmbedding.IndexSelect(0, x.Types);
        var e = Functional.Linear(rbf, _edgeEmbeddingW, _edgeEmbeddingB).Silu();

        Tensor? basis = null;
        if (x.NumTriples > 0)
        {
            // Gathers and segment sums go through GatherRows / ScatterAddRows / GatherMulScatter: one loop each,
            // forward and backward (libtorch 1.13's index_add, also the backward of index_select, dispatches once
            // per row, which made the batched three-body terms the slowest part).
            var r1 = x.BondVectors.GatherRows(x.GeomEdge1!);
            var r2 = x.BondVectors.GatherRows(x.GeomEdge2!);
            var d1 = dist.GatherRows(x.GeomEdge1!);
            var d2 = dist.GatherRows(x.GeomEdge2!);
            var cos = ((r1 * r2).Sum(1) / (d1 * d2)).Clamp(-1 + 1e-7, 1 - 1e-7).Unsqueeze(1);
            var y = _yConst + cos * _yLinear + cos * cos * _yQuadratic;
            // The radial part depends on the bond only: evaluated per edge and gathered (edges ≪ triples).
            basis = _threeBodyRadial.Forward(dist).GatherRows(x.GeomEdge2!) * y;
            // Smooth polynomial cutoff of the three-body term, on the quirk-1 (full-edge) ids.
            double rc = Config.ThreeBodyCutoff;
            var xr = dist / rc;
            var x3 = xr * xr * xr;
            var fc = (1.0 - 10.0 * x3 + 15.0 * x3 * xr - 6.0 * x3 * xr * xr) * dist.Le(rc).To(DType);
            var weight = (fc.GatherRows(x.WeightEdge1!) * fc.GatherRows(x.WeightEdge2!)).Unsqueeze(1);
            basis = basis * weight; // the same for every block
        }

        long nEdges = e.Size(0), nNodes = v.Size(0);
        foreach (var b in _blocks)
        {
            if (basis is not null)
            {
                var atomGate = Functional.Linear(v, b.AtomW, b.AtomB).Sigmoid();
                // s[segment[t]] += basis[t] ⊙ atomGate[gateAtom[t]]
                var s = Tensor.GatherMulScatter(basis, atomGate, x.TripleIds!, x.GateAtom!, x.Segment!, nEdges);
                e = e + Functional.SiluGate(Functional.Linear(s, b.BondW), Functional.Linear(s, b.BondGateW));
            }
            // Both gated MLPs read [v_src ‖ v_dst ‖ e] with the OLD node features v.
            e = e + b.EdgeUpdate.ForwardEdge(v, x.Src, x.Dst, e) * Functional.Linear(rbf, b.EdgeWeight);
            var m = b.NodeUpdate.ForwardEdge(v, x.Src, x.Dst, e) * Functional.Linear(rbf, b.NodeWeight);
            v = v + m.ScatterAddRows(x.Dst, nNodes); // messages summed at the destination
        }
        var perAtom = _readout.Forward(v).Reshape(-1);
        return perAtom.ScatterAddRows(x.NodeGraph, x.NumGraphs) * DataStd + DataMean;
    }

    public void Dispose()
    {
        _weights.Dispose();
        _edgeBasis.Dispose();
        _threeBodyRadial.Dispose();
        _yConst.Dispose();
        _yLinear.Dispose();
        _yQuadratic.Dispose();
    }
}
