using CrystalActors.Torch;
using CrystalActors.Torch.Nn;
using CrystalActors.Torch.Serialization;

namespace CrystalActors.Torch.Tests;

public class ModuleTests
{
    private sealed class TwoLayer : Module
    {
        public Mlp mlp { get; }
        public Embedding embed { get; }
        public TwoLayer()
        {
            embed = RegisterModule("embed", new Embedding(5, 3));
            mlp = RegisterModule("mlp", new Mlp(new[] { 3, 4, 2 }, Activation.Softplus2));
            RegisterBuffer("scale", Tensor.From(new[] { 2.0f }));
        }
    }

    [Fact]
    public void NamedParameters_FollowPyTorchNaming()
    {
        using var m = new TwoLayer();
        var names = m.NamedParameters().Select(p => p.Key).ToArray();
        Assert.Equal(new[] { "embed.weight", "mlp.layers.0.weight", "mlp.layers.0.bias", "mlp.layers.2.weight", "mlp.layers.2.bias" }, names);
        Assert.Equal(5 * 3 + 4 * 3 + 4 + 2 * 4 + 2, m.ParameterCount());
        Assert.Contains("scale", m.StateDict().Keys);
        Assert.All(m.Parameters(), p => Assert.True(p.RequiresGrad));
    }

    [Fact]
    public void Linear_InitialisesWithinPyTorchBound_AndComputesXWtPlusB()
    {
        Torch.ManualSeed(1);
        using var lin = new Linear(16, 4);
        var w = lin.weight.ToArray<float>();
        Assert.All(w, v => Assert.InRange(Math.Abs(v), 0, 0.25f));
        Assert.True(w.Select(Math.Abs).Max() > 0.15f, "weights should fill U(-1/4, 1/4)");
        using var s = DisposeScope.Open();
        var x = Tensor.Ones(new long[] { 1, 16 });
        var expected = lin.weight.Sum(1) + lin.bias!;
        AssertEx.Close(expected.ToArray<float>(), lin.Forward(x).Reshape(-1).ToArray<float>());
    }

    [Fact]
    public void Embedding_LooksUpRowsForAnyIndexShape()
    {
        using var e = new Embedding(4, 2);
        using var s = DisposeScope.Open();
        var rows = e.weight.ToArray<float>();
        var y = e.Forward(Tensor.From(new[] { 3L, 0, 3, 1 }, 2, 2));
        Assert.Equal(new long[] { 2, 2, 2 }, y.Shape);
        Assert.Equal(new[] { rows[6], rows[7], rows[0], rows[1], rows[6], rows[7], rows[2], rows[3] }, y.ToArray<float>());
    }

    [Fact]
    public void LayerNorm_NormalisesRows()
    {
        using var ln = new LayerNorm(4);
        using var s = DisposeScope.Open();
        var y = ln.Forward(Tensor.From(new[] { 1.0f, 2, 3, 4 }, 1, 4)).ToArray<float>();
        double mean = 2.5, var = 1.25;
        AssertEx.Close(new[] { 1.0, 2, 3, 4 }.Select(v => (v - mean) / Math.Sqrt(var + 1e-5)).ToArray(), y.Select(v => (double)v).ToArray(), 1e-5);
    }

    [Fact]
    public void LSTMCell_MatchesTheGateEquations()
    {
        Torch.ManualSeed(3);
        using var cell = new LSTMCell(2, 1);
        using var s = DisposeScope.Open();
        var wi = cell.weight_ih.ToArray<float>(); // [4, 2]
        var wh = cell.weight_hh.ToArray<float>(); // [4, 1]
        var bi = cell.bias_ih.ToArray<float>();
        var bh = cell.bias_hh.ToArray<float>();
        double[] x = { 0.5, -1 };
        double h = 0.3, c = -0.2;
        double Gate(int k) => wi[2 * k] * x[0] + wi[2 * k + 1] * x[1] + bi[k] + wh[k] * h + bh[k];
        double Sig(double v) => 1 / (1 + Math.Exp(-v));
        double ig = Sig(Gate(0)), fg = Sig(Gate(1)), gg = Math.Tanh(Gate(2)), og = Sig(Gate(3));
        double cNext = fg * c + ig * gg, hNext = og * Math.Tanh(cNext);
        var (hT, cT) = cell.Forward(Tensor.From(new[] { 0.5f, -1 }, 1, 2), Tensor.From(new[] { 0.3f }, 1, 1), Tensor.From(new[] { -0.2f }, 1, 1));
        Assert.Equal(hNext, hT.ItemFloat(), 5);
        Assert.Equal(cNext, cT.ItemFloat(), 5);
    }

    [Fact]
    public void StateDict_RoundTripsThroughSafeTensors()
    {
        Torch.ManualSeed(5);
        using var a = new TwoLayer();
        var path = Path.Combine(Path.GetTempPath(), $"ca-module-{Guid.NewGuid():N}.safetensors");
        try
        {
            SafeTensors.Save(path, a, new Dictionary<string, string> { ["model"] = "TwoLayer", ["version"] = "1" });
            Torch.ManualSeed(6);
            using var b = new TwoLayer();
            Assert.NotEqual(a.mlp.layers.Layers[0] is Linear la ? la.weight.ToArray<float>() : null,
                            b.mlp.layers.Layers[0] is Linear lb ? lb.weight.ToArray<float>() : null);
            var meta = SafeTensors.LoadInto(path, b);
            Assert.Equal("TwoLayer", meta["model"]);
            foreach (var (name, t) in a.StateDict())
                Assert.Equal(t.ToArray<float>(), b.StateDict()[name].ToArray<float>());
            // Saving is deterministic: the same state gives the same bytes.
            var path2 = path + ".2";
            SafeTensors.Save(path2, b, new Dictionary<string, string> { ["model"] = "TwoLayer", ["version"] = "1" });
            Assert.Equal(File.ReadAllBytes(path), File.ReadAllBytes(path2));
            File.Delete(path2);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void LoadStateDict_Mismatch_ListsKeysAndShapes()
    {
        using var m = new TwoLayer();
        using var s = DisposeScope.Open();
        var state = m.StateDict().ToDictionary(p => p.Key, p => p.Value);
        state.Remove("embed.weight");
        state["extra"] = Tensor.Zeros(new long[] { 1 });
        var e = Assert.Throws<ArgumentException>(() => m.LoadStateDict(state));
        Assert.Contains("embed.weight", e.Message);
        Assert.Contains("extra", e.Message);
        var wrong = m.StateDict().ToDictionary(p => p.Key, p => p.Value);
        wrong["embed.weight"] = Tensor.Zeros(new long[] { 2, 2 });
        var e2 = Assert.Throws<ArgumentException>(() => m.LoadStateDict(wrong));
        Assert.Contains("[5, 3]", e2.Message);
        Assert.Contains("[2, 2]", e2.Message);
    }

    /// <summary>A one-tensor file whose header and data are given as they stand (to write what no writer would).</summary>
    private static byte[] OneTensorFile(string dtype, string shape, long begin, long end, byte[] data)
    {
        var json = System.Text.Encoding.UTF8.GetBytes($"{{\"w\": {{\"dtype\": \"{dtype}\", \"shape\": {shape}, \"data_offsets\": [{begin}, {end}]}}}}");
        return [.. BitConverter.GetBytes((ulong)json.Length), .. json, .. data];
    }

    [Theory]
    [InlineData("[2, 2]", float.NaN, "non-finite value (element 1)")]
    [InlineData("[2, 2]", float.PositiveInfinity, "non-finite value (element 1)")]
    [InlineData("[-2, -2]", 1f, "negative dimension")]
    public void SafeTensors_DamagedWeights_AreRefusedNamingTheTensor(string shape, float second, string reason)
    {
        var data = new float[] { 1, second, 3, 4 }.SelectMany(BitConverter.GetBytes).ToArray();
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Parse(OneTensorFile("F32", shape, 0, 16, data), "w.safetensors"));
        Assert.Contains("w.safetensors: not a valid safetensors file: tensor 'w'", e.Message);
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void SafeTensors_ShapeWhoseSizeOverflows_IsRefusedNotWrappedToTheGivenBytes()
    {
        // 2^62 x 4 floats is 2^66 bytes: wrapped to 64 bits that is 0, which the offsets [0, 0] would have matched.
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Parse(OneTensorFile("F32", $"[{1L << 62}, 4]", 0, 0, []), "w.safetensors"));
        Assert.Contains("malformed header", e.Message);
        Assert.Throws<InvalidDataException>(() => SafeTensors.Parse([2, 0, 0, 0, 0, 0, 0, 0, (byte)'[', (byte)']'], "a.safetensors")); // a header that is a JSON array
    }

    [Fact]
    public void SafeTensors_LoadsTheSharedMEGNetWeightsWrittenByAnotherTool()
    {
        var path = Path.Combine(Shared.Root, "reference", "megnet", "MEGNet-MP-2019.4.1-BandGap-mfi.safetensors");
        using var file = SafeTensors.Load(path);
        // keys.txt beside the file lists "name dtype shape" as written by the producer: every entry must match.
        var keys = File.ReadAllLines(Path.ChangeExtension(path, null) + ".keys.txt").Where(l => !l.StartsWith('#') && l.Length > 0).ToList();
        Assert.Equal(keys.Count, file.Tensors.Count);
        foreach (var line in keys)
        {
            var parts = line.Split(' ', 3);
            var t = file[parts[0]];
            Assert.Equal("F32", parts[1]);
            Assert.Equal(ScalarType.Float32, t.DType);
            Assert.Equal(parts[2].Replace(" ", ""), Tensor.FormatShape(t.Shape).Replace(" ", ""));
        }
        Assert.Contains("model_json", file.Metadata.Keys);
        var centers = file["model.bond_expansion.rbf.centers"].ToArray<float>();
        Assert.Equal(100, centers.Length);
        Assert.True(centers.Zip(centers.Skip(1)).All(p => p.Second > p.First), "Gaussian centres increase");
        Assert.Equal(file.Tensors.Count, file.Tensors.Keys.Distinct().Count());
    }

    [Fact]
    public void SafeTensors_Malformed_NamesFileAndReason()
    {
        var path = Path.Combine(Path.GetTempPath(), $"ca-bad-{Guid.NewGuid():N}.safetensors");
        try
        {
            File.WriteAllBytes(path, new byte[] { 1, 2, 3 });
            var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path));
            Assert.Contains(path, e.Message);
            var header = System.Text.Encoding.UTF8.GetBytes("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}");
            var bytes = BitConverter.GetBytes((ulong)header.Length).Concat(header).Concat(new byte[8]).ToArray(); // 8 of 16 bytes
            File.WriteAllBytes(path, bytes);
            var e2 = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path));
            Assert.Contains("'w'", e2.Message);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void ModuleTo_KeepsParametersTrainableAndConvertsDtype()
    {
        using var lin = new Linear(3, 2);
        lin.To(Device.CPU, ScalarType.Float64);
        Assert.Equal(ScalarType.Float64, lin.weight.DType);
        Assert.True(lin.weight.RequiresGrad);
        using var s = DisposeScope.Open();
        lin.Forward(Tensor.Ones(new long[] { 1, 3 }, ScalarType.Float64)).Sum().Backward();
        Assert.Equal(new[] { 1.0, 1, 1, 1, 1, 1 }, lin.weight.Grad!.ToArray<double>());
    }
}
