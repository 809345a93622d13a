using CrystalActors.Models.Megnet;
using CrystalActors.Torch;
using CrystalActors.Torch.Serialization;
using Xunit.Abstractions;

namespace CrystalActors.Models.Tests.Megnet;

public sealed class MegnetBandGapTests(ITestOutputHelper output)
{
    [Fact]
    public void Predict_AllReferenceCrystals_MatchMatglFloat32WithinTenMeVAtEveryFidelity()
    {
        using var model = BandGapModel.Load(MegnetTestData.WeightsPath);
        var crystals = MegnetTestData.Crystals;
        Assert.Equal(220, crystals.Count);
        var graphs = model.BuildGraphs(crystals.Select(c => c.Structure).ToList());
        double worst = 0;
        foreach (var fidelity in Enum.GetValues<Fidelity>())
        {
            var atFidelity = graphs.Select(g => MegnetGraphBuilder.WithState(g, (int)fidelity)).ToList();
            var prediction = model.Predict(atFidelity, batchSize: 64);
            double maxErr = 0, sumErr = 0;
            string worstId = "";
            for (int i = 0; i < crystals.Count; i++)
            {
                double err = Math.Abs(prediction.RawEv[i] - crystals[i].Float32PredEv[fidelity.Label()]);
                sumErr += err;
                if (err > maxErr) { maxErr = err; worstId = crystals[i].Key; }
            }
            output.WriteLine($"{fidelity.Label(),-8} max |Δ| = {maxErr:E3} eV ({worstId}), mean |Δ| = {sumErr / crystals.Count:E3} eV over {crystals.Count} crystals");
            Assert.True(maxErr < 0.01, $"{fidelity.Label()}: max error {maxErr} eV at {worstId}");
            worst = Math.Max(worst, maxErr);
        }
        output.WriteLine($"overall max |Δ| = {worst:E3} eV");
    }

    [Fact]
    public void Predict_BatchedOrOneByOne_GivesTheSameGaps()
    {
        using var model = BandGapModel.Load(MegnetTestData.WeightsPath);
        var structures = MegnetTestData.Crystals.Take(12).Select(c => c.Structure).ToList();
        var batched = model.Predict(structures, Fidelity.Hse, batchSize: 12).RawEv;
        for (int i = 0; i < structures.Count; i++)
        {
            var single = model.Predict(new[] { structures[i] }, Fidelity.Hse).RawEv[0];
            Assert.Equal(single, batched[i], 4);
        }
    }

    [Fact]
    public void Load_PretrainedFile_UsesExactlyTheTensorsListedInKeysTxt()
    {
        using var model = BandGapModel.Load(MegnetTestData.WeightsPath);
        var expected = File.ReadLines(MegnetTestData.KeysPath).Where(l => !l.StartsWith('#') && l.Length > 0)
            .Select(l => l.Split(' ')[0]).OrderBy(k => k, StringComparer.Ordinal).ToList();
        var ours = model.Network.StateDict().Keys.Select(k => BandGapModel.StatePrefix + k).OrderBy(k => k, StringComparer.Ordinal).ToList();
        Assert.Equal(107, expected.Count);
        Assert.Equal(expected, ours);
        Assert.Equal(190581, model.Network.StateDict().Values.Sum(t => t.NumEl));
        Assert.Equal(1.57419002, model.NormalizerMean);
        Assert.Equal(1.85749567, model.NormalizerStd);
        Assert.Equal(0, model.Version);
        Assert.Equal("Ac", model.GraphBuilder.ElementTypes[83]);
        Assert.Equal("Pu", model.GraphBuilder.ElementTypes[88]);
        // Gaussian centres come from the file and equal matgl's linspace(0, 6, 100).
        var centers = model.Network.StateDict()["bond_expansion.rbf.centers"].ToArray<float>();
        Assert.Equal(6.0 / 99, centers[1], 6);
        Assert.Equal(6.0, centers[99], 6);
    }

    [Fact]
    public void Load_FileWithAMissingOrExtraTensor_IsRejectedNamingTheTensor()
    {
        var dir = Directory.CreateTempSubdirectory("megnet-strict").FullName;
        try
        {
            using var file = SafeTensors.Load(MegnetTestData.WeightsPath);
            var missing = file.Tensors.Where(p => p.Key != "model.output_proj.layers.4.bias").ToDictionary(p => p.Key, p => p.Value);
            var missingPath = Path.Combine(dir, "missing.safetensors");
            SafeTensors.Save(missingPath, missing, file.Metadata);
            var e1 = Assert.Throws<InvalidDataException>(() => BandGapModel.Load(missingPath));
            Assert.Contains("output_proj.layers.4.bias", e1.Message);
            Assert.Contains("missing.safetensors", e1.Message);

            using var extraTensor = Tensor.Zeros(new long[] { 3 });
            var extra = new Dictionary<string, Tensor>(file.Tensors) { ["model.blocks.0.edge_func.layers.0.weight"] = extraTensor };
            var extraPath = Path.Combine(dir, "extra.safetensors");
            SafeTensors.Save(extraPath, extra, file.Metadata);
            var e2 = Assert.Throws<InvalidDataException>(() => BandGapModel.Load(extraPath));
            Assert.Contains("blocks.0.edge_func.layers.0.weight", e2.Message);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Clip_NegativeGaps_AreSetToZeroAndCounted()
    {
        var p = BandGapModel.Clip(new[] { -0.5, 0.3, -0.01, 0.0 }, version: 0);
        Assert.Equal(new[] { 0.0, 0.3, 0.0, 0.0 }, p.GapsEv);
        Assert.Equal(new[] { -0.5, 0.3, -0.01, 0.0 }, p.RawEv);
        Assert.Equal(2, p.NegativeCount);
    }

    [Fact]
    public void Predict_MetalWithNegativeRawGap_IsClippedToZero()
    {
        // TmMgHg2 (val index 0): matgl predicts -0.0095 eV at PBE.
        var metal = MegnetTestData.Crystals.Single(c => c.Index == 0);
        Assert.True(metal.Float32PredEv["PBE"] < 0);
        using var model = BandGapModel.Load(MegnetTestData.WeightsPath);
        var p = model.Predict(new[] { metal.Structure });
        Assert.Equal(1, p.NegativeCount);
        Assert.Equal(metal.Float32PredEv["PBE"], p.RawEv[0], 3);
        Assert.Equal(0.0, p.GapsEv[0]);
    }

    [Fact]
    public void Build_UnknownElement_NamesTheStructureAndElement()
    {
        var builder = new MegnetGraphBuilder(new[] { "Na" }, 5.0);
        var nacl = MegnetTestData.Crystals[0].Structure;
        var e = Assert.Throws<ArgumentException>(() => builder.Build(nacl));
        Assert.Contains(nacl.Id!, e.Message);
        Assert.Contains("Tm", e.Message);
    }
}

public sealed class MegnetEmbeddingTests
{
    [Fact]
    public void Embed_ReadoutFeedsTheHead_AndCompositionIsTheMeanElementEmbedding()
    {
        using var model = BandGapModel.Load(MegnetTestData.WeightsPath);
        var structures = MegnetTestData.Crystals.Take(6).Select(c => c.Structure).ToList();
        var (structural, composition) = model.Embed(structures);
        int width = model.Network.Config.BlockWidth;
        Assert.All(structural, v => Assert.Equal(5 * width, v.Length));

        // The readout is what the head reads: the head applied to it gives the model's raw gaps.
        using (NoGradScope.Enter())
        using (DisposeScope.Open())
        using (var batch = MegnetGraphBatch.Create(model.BuildGraphs(structures), Device.CPU))
        {
            var direct = model.Network.Forward(batch).ToArray<float>();
            var readout = model.Network.Readout(batch).ToArray<float>();
            for (int i = 0; i < structures.Count; i++)
                for (int k = 0; k < 5 * width; k++) Assert.Equal(readout[i * 5 * width + k], structural[i][k], 5);
            var raw = model.Predict(structures).RawEv;
            for (int i = 0; i < structures.Count; i++) Assert.Equal(direct[i] * model.NormalizerStd + model.NormalizerMean, raw[i], 4);
        }

        // Composition: the site average of the element embedding rows (graph node types index the table).
        var graphs = model.BuildGraphs(structures);
        using (NoGradScope.Enter())
        using (DisposeScope.Open())
        {
            var table = model.Network.NodeEmbeddingTable!;
            int dim = (int)table.Shape[1];
            var rows = table.To(ScalarType.Float64).ToArray<double>();
            for (int i = 0; i < structures.Count; i++)
                for (int k = 0; k < dim; k++)
                    Assert.Equal(graphs[i].NodeTypes!.Average(t => rows[t * dim + k]), composition[i][k], 10);
        }
        // A crystal and its 2×1×1 supercell have the same composition embedding.
        var s = structures[0];
        var doubled = Crystals.Structure.FromSpecies(
            new Crystals.Lattice(Crystals.Mat3.FromRows([[2 * s.Lattice.A.X, 2 * s.Lattice.A.Y, 2 * s.Lattice.A.Z], [s.Lattice.B.X, s.Lattice.B.Y, s.Lattice.B.Z], [s.Lattice.C.X, s.Lattice.C.Y, s.Lattice.C.Z]])),
            s.Species.Concat(s.Species).ToArray(),
            s.FracCoords.Select(f => new Crystals.Vec3(f.X / 2, f.Y, f.Z)).Concat(s.FracCoords.Select(f => new Crystals.Vec3(f.X / 2 + 0.5, f.Y, f.Z))).ToArray());
        var (_, both) = model.Embed([s, doubled]);
        for (int k = 0; k < both[0].Length; k++) Assert.Equal(both[0][k], both[1][k], 10);
    }
}
