using System.Text.Json;
using CrystalActors.Crystals;
using CrystalActors.Crystals.Io;
using CrystalActors.Learning.Clusters;
using CrystalActors.Models.Clusters;

namespace CrystalActors.Learning.Tests.Clusters;

/// <summary>A whole cluster run on the Lennard-Jones double: config parsing, outputs, evaluation.</summary>
public class ClusterRunnerTests
{
    [Fact]
    public void Run_LjSmokeConfig_WritesXyzCurvesAndSummaryAtEqualBudgets()
    {
        var dir = Directory.CreateTempSubdirectory("clusters-run-").FullName;
        try
        {
            var ga = Element.FromSymbol("Ga");
            var ico = ReferenceClusters.Icosahedron13(ga, Math.Pow(2, 1.0 / 6) * 2.5 * 1.05);
            var seed = new Molecule(ico.Species.Take(12), ico.Positions.Take(12));
            File.WriteAllText(Path.Combine(dir, "seed.xyz"), ExtendedXyz.WriteMolecule(seed));
            File.WriteAllText(Path.Combine(dir, "run.json"), """
                { "name": "t", "output_root": ".", "seed_xyz": "seed.xyz", "budget": 300,
                  "potential": { "kind": "lennard-jones", "sigma": 2.5 }, "relax": { "fmax": 0.001, "steps": 200 },
                  "basin_hopping": { "temperature": 0.8, "step_size": 1.0 }, "rl": { "hidden": 16, "episodes_per_iteration": 8 } }
                """);
            var o = ClusterRunOptions.Load(Path.Combine(dir, "run.json"));
            var summary = ClusterRunner.Run(o);
            Assert.Equal(["rl", "random", "basin-hopping"], summary.Select(s => s.Method));
            Assert.All(summary, s => Assert.InRange(s.Evaluations, 1, 300));
            var run = Path.Combine(dir, "t");
            var frames = ExtendedXyz.ReadMolecules(Path.Combine(run, "clusters.xyz"));
            Assert.Equal(summary.Sum(s => s.NUnique), frames.Count);
            Assert.All(frames, f => { Assert.Equal(13, f.Molecule.NumAtoms); Assert.NotNull(f.Energy); });
            Assert.Equal(summary.Min(s => s.MinEnergyEv), frames.Min(f => f.Energy!.Value), 10);
            foreach (var f in new[] { "curve.csv", "ppo.csv", "summary.json", "config.json", "rl/isomers.xyz", "random/isomers.xyz", "basin-hopping/isomers.xyz" })
                Assert.True(File.Exists(Path.Combine(run, f)), f);
            Assert.NotEmpty(Directory.GetFiles(Path.Combine(run, "tensorboard"), "events.out.tfevents.*"));
            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json")));
            Assert.Equal(3, json.RootElement.GetProperty("methods").GetArrayLength());

            var eval = ClusterRunner.Evaluate(Path.Combine(run, "clusters.xyz"), new LennardJonesPotential(sigma: 2.5),
                new Models.Relaxation.ClusterRelaxOptions { Fmax = 0.001 }, 0.05);
            Assert.Equal(frames.Count, (int)eval["n_frames"]!);
            Assert.True((double)eval["min_energy_ev"]! <= frames.Min(f => f.Energy!.Value) + 1e-6);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Load_BadConfig_ThrowsOneLineNamingTheFileAndField()
    {
        var path = Path.Combine(Path.GetTempPath(), $"bad-cluster-{Environment.ProcessId}.json");
        File.WriteAllText(path, """{ "seed_xyz": "x.xyz", "methods": ["rl", "genetic"] }""");
        try
        {
            var e = Assert.Throws<ClusterConfigException>(() => ClusterRunOptions.Load(path));
            Assert.Equal($"{path}: methods: unknown method 'genetic' (valid: rl, random, basin-hopping)", e.Message);
        }
        finally { File.Delete(path); }
    }
}
