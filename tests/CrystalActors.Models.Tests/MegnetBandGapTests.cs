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
