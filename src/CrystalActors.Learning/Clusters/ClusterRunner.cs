using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CrystalActors.Crystals;
using CrystalActors.Crystals.Io;
using CrystalActors.Learning.Offline;
using CrystalActors.Models.Clusters;
using CrystalActors.Models.M3gnet;
using CrystalActors.Models.Relaxation;
using CrystalActors.Torch;
using CsvHelper;
using Serilog;

namespace CrystalActors.Learning.Clusters;

/// <summary>One method's line of a run summary.</summary>
public sealed record ClusterMethodSummary(string Method, long Evaluations, double MinEnergyEv, int NUnique, int NLowEnergy, double Seconds, int Episodes, int Candidates);

/// <summary>
/// Runs a <see cref="ClusterRunOptions"/> config: every method at the same energy-evaluation budget on one energy
/// model, then writes runs/&lt;name&gt;/: clusters.xyz (every distinct minimised isomer of every method, extended XYZ
/// with energy, method and rank; ASE reads it), &lt;method&gt;/isomers.xyz, curve.csv (evaluations → best energy),
/// ppo.csv, tensorboard/ (charts/&lt;method&gt;/best_energy by evaluations, ppo/*), summary.json and config.json.
/// </summary>
public static class ClusterRunner
{
    /// <summary>Builds the configured energy model (the caller disposes the returned handle, if any).</summary>
    public static (IClusterPotential Potential, IDisposable? Owner) LoadPotential(ClusterPotentialOptions o)
    {
        if (o.Kind == "lennard-jones") return (new LennardJonesPotential(o.Epsilon, o.Sigma), null);
        if (!File.Exists(o.Weights)) throw new FileNotFoundException($"M3GNet weights not found: {o.Weights}", o.Weights);
        var m = M3gnetPotential.Load(o.Weights, o.Dtype == "float64" ? ScalarType.Float64 : ScalarType.Float32);
        return (new M3gnetClusterPotential(m), m);
    }

    public static Molecule ReadSeed(string path, int frame)
    {
        var frames = ExtendedXyz.ReadMolecules(path);
        if (frame < 0 || frame >= frames.Count) throw new CrystalFormatException(path, 0, $"seed_frame {frame} is out of range: the file has {frames.Count} frame(s)");
        return frames[frame].Molecule;
    }

    public static IReadOnlyList<ClusterMethodSummary> Run(ClusterRunOptions o)
    {
        var seed = ReadSeed(o.SeedXyz, o.SeedFrame);
        var bag = o.BagElements();
        var (potential, owner) = LoadPotential(o.Potential);
        using var _ = owner;
        var dir = Path.Combine(o.OutputRoot, o.Name);
        Directory.CreateDirectory(dir);
        AtomicFile.WriteAllText(Path.Combine(dir, "config.json"), o.ToJson());
        Log.Information("Cluster run {Name}: seed {Seed} ({N} atoms) + bag {Bag}, model {Model}, budget {Budget} evaluations per method",
            o.Name, Path.GetFileName(o.SeedXyz), seed.NumAtoms, string.Join(",", bag.Select(e => e.Symbol)), potential.Name, o.Budget);

        using var tb = new TensorBoardWriter(Path.Combine(dir, "tensorboard"));
        // A log of the PPO iterations, a row as each ends (not an AtomicFile: it grows while the run goes on).
        using var ppoCsv = CsvWriter.Create(File.Create(Path.Combine(dir, "ppo.csv")), CsvWriterOptions.Default, leaveOpen: false);
        ppoCsv.WriteHeader(["iteration", "evaluations", "mean_return", "invalid_fraction", "mean_final_energy_ev", "best_energy_ev", "policy_loss", "value_loss", "entropy"]);
        var results = new List<(ClusterSearchResult R, double Seconds)>();
        foreach (var method in o.Methods)
        {
            var sw = Stopwatch.StartNew();
            ClusterSearchResult r = method switch
            {
                "rl" => RlPlacementSearch.Run(potential, seed, bag, o.EnvironmentOptions(), PpoOptions(o), o.RelaxOptions(), o.Budget, o.Rl.TrainFraction,
                    o.Seed, o.IsomerTolerance, isomerEnergyTolerance: o.IsomerEnergyToleranceEv, onIteration: s =>
                    {
                        ppoCsv.WriteRecord(new object[] { s.Iteration, s.Evaluations, s.MeanReturn, s.InvalidFraction, s.MeanFinalEnergy, s.BestEnergy, s.PolicyLoss, s.ValueLoss, s.Entropy }
                            .Select(x => Convert.ToString(x, CultureInfo.InvariantCulture)!).ToArray());
                        tb.AddScalar("ppo/mean_return", s.MeanReturn, s.Evaluations);
                        tb.AddScalar("ppo/invalid_fraction", s.InvalidFraction, s.Evaluations);
                        if (double.IsFinite(s.MeanFinalEnergy)) tb.AddScalar("ppo/mean_final_energy", s.MeanFinalEnergy, s.Evaluations);
                        tb.AddScalar("ppo/best_unrelaxed_energy", s.BestEnergy, s.Evaluations);
                        tb.AddScalar("losses/policy", s.PolicyLoss, s.Evaluations);
                        tb.AddScalar("losses/value", s.ValueLoss, s.Evaluations);
                        tb.AddScalar("losses/entropy", s.Entropy, s.Evaluations);
                        if (s.Iteration % 10 == 0)
                            Log.Information("rl iteration {It}: {Ev} evaluations, mean return {Ret:F3}, invalid {Inv:P0}, best unrelaxed {Best:F4} eV",
                                s.Iteration, s.Evaluations, s.MeanReturn, s.InvalidFraction, s.BestEnergy);
                    }),
                "random" => RandomPlacementSearch.Run(potential, seed, bag, o.Rules(), o.RelaxOptions(), o.Budget, o.Seed, o.IsomerTolerance, o.IsomerEnergyToleranceEv),
                "basin-hopping" => BasinHopping.Run(potential, RandomStart(seed, bag, o.Rules(), new Random(o.Seed)), o.Budget,
                    new BasinHoppingOptions { Temperature = o.BasinHopping.Temperature, StepSize = o.BasinHopping.StepSize, Relax = o.RelaxOptions(), IsomerTolerance = o.IsomerTolerance, IsomerEnergyTolerance = o.IsomerEnergyToleranceEv }, o.Seed),
                _ => throw new ArgumentException($"unknown method '{method}'"),
            };
            sw.Stop();
            foreach (var p in r.Curve) tb.AddScalar($"charts/{method}/best_energy", p.BestEnergy, p.Evaluations);
            Log.Information("{Method}: {Ev} evaluations, {N} distinct minima, lowest {E:F4} eV, {S:F0} s", method, r.Evaluations, r.Minima.Count, r.Best.Energy, sw.Elapsed.TotalSeconds);
            results.Add((r, sw.Elapsed.TotalSeconds));
        }
        tb.Flush();

        double globalMin = results.Min(x => x.R.Best.Energy);
        var summaries = new List<ClusterMethodSummary>();
        var all = new List<(Molecule, IEnumerable<KeyValuePair<string, object>>?)>();
        AtomicFile.Write(Path.Combine(dir, "curve.csv"), stream =>
        {
            using var curve = CsvWriter.Create(stream, CsvWriterOptions.Default, leaveOpen: true);
            curve.WriteHeader(["method", "evaluations", "best_energy_ev"]);
            foreach (var (r, _) in results)
                foreach (var p in r.Curve)
                    curve.WriteRecord([r.Method, p.Evaluations.ToString(CultureInfo.InvariantCulture), p.BestEnergy.ToString("R", CultureInfo.InvariantCulture)]);
        });
        foreach (var (r, secs) in results)
        {
            var iso = r.Minima.Isomers;
            var frames = iso.Select((x, rank) => (x.Molecule.WithId(null), (IEnumerable<KeyValuePair<string, object>>?)new KeyValuePair<string, object>[]
            {
                new("energy", x.Energy), new("method", r.Method), new("rank", rank), new("count", x.Count),
                new("delta_e_ev", x.Energy - globalMin),
            })).ToList();
            ExtendedXyz.WriteMolecules(Path.Combine(dir, r.Method, "isomers.xyz"), frames);
            all.AddRange(frames);
            summaries.Add(new ClusterMethodSummary(r.Method, r.Evaluations, r.Best.Energy, iso.Count, iso.Count(x => x.Energy <= globalMin + o.EnergyWindowEv), secs, r.Episodes, r.Candidates));
        }
        ExtendedXyz.WriteMolecules(Path.Combine(dir, "clusters.xyz"), all);
        var json = new JsonObject
        {
            ["name"] = o.Name, ["seed_xyz"] = o.SeedXyz, ["seed_atoms"] = seed.NumAtoms, ["bag"] = string.Join(",", bag.Select(e => e.Symbol)),
            ["potential"] = potential.Name, ["budget"] = o.Budget, ["energy_window_ev"] = o.EnergyWindowEv, ["lowest_energy_ev"] = globalMin,
            ["methods"] = new JsonArray(summaries.Select(s => (JsonNode)new JsonObject
            {
                ["method"] = s.Method, ["evaluations"] = s.Evaluations, ["min_energy_ev"] = s.MinEnergyEv, ["n_unique"] = s.NUnique,
                ["n_low_energy"] = s.NLowEnergy, ["seconds"] = Math.Round(s.Seconds, 1), ["episodes"] = s.Episodes, ["candidates"] = s.Candidates,
            }).ToArray()),
        };
        AtomicFile.WriteAllText(Path.Combine(dir, "summary.json"), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return summaries;
    }

    /// <summary>Basin hopping's start: the seed plus every bag atom at a random valid position.</summary>
    public static Molecule RandomStart(Molecule seed, IEnumerable<Element> bag, Environments.Clusters.PlacementRules rules, Random rng) =>
        bag.Aggregate(seed, (m, e) => m.WithAtom(e, Environments.Clusters.ClusterEnvironment.RandomValidPosition(m, rules, rng)));

    private static ClusterPpoOptions PpoOptions(ClusterRunOptions o) => new()
    {
        EpisodesPerIteration = o.Rl.EpisodesPerIteration,
        Epochs = o.Rl.Epochs,
        MinibatchSize = o.Rl.MinibatchSize,
        LearningRate = o.Rl.LearningRate,
        EntropyCoef = o.Rl.EntropyCoef,
        Policy = new CovariantPolicyOptions { Hidden = o.Rl.Hidden, Lmax = o.Rl.Lmax, DistanceBins = o.Rl.DistanceBins },
    };

    /// <summary>
    /// `clusters evaluate`: relaxes every frame of an XYZ file with FIRE on the energy model, de-duplicates the minima
    /// and returns n_unique, min/mean energy and per-isomer energies (JSON).
    /// </summary>
    public static JsonObject Evaluate(string xyz, IClusterPotential potential, ClusterRelaxOptions relax, double tolerance)
    {
        var frames = ExtendedXyz.ReadMolecules(xyz);
        var relaxer = new ClusterRelaxer(potential, relax);
        var set = new IsomerSet(tolerance);
        var perFrame = new JsonArray();
        int i = 0;
        foreach (var chunk in frames.Chunk(16))
        {
            var rs = relaxer.Relax(chunk.Select(f => f.Molecule).ToArray());
            foreach (var r in rs)
            {
                perFrame.Add(new JsonObject { ["frame"] = i++, ["initial_energy_ev"] = r.InitialEnergy, ["energy_ev"] = r.FinalEnergy, ["steps"] = r.Steps, ["converged"] = r.Converged });
                if (double.IsFinite(r.FinalEnergy)) set.Add(r.Final, r.FinalEnergy);
            }
        }
        var iso = set.Isomers;
        return new JsonObject
        {
            ["xyz"] = xyz, ["potential"] = potential.Name, ["n_frames"] = frames.Count, ["n_unique"] = iso.Count,
            ["min_energy_ev"] = iso.Count > 0 ? iso[0].Energy : null,
            ["mean_energy_ev"] = iso.Count > 0 ? iso.Average(x => x.Energy) : null,
            ["isomers"] = new JsonArray(iso.Select((x, k) => (JsonNode)new JsonObject { ["rank"] = k, ["energy_ev"] = x.Energy, ["count"] = x.Count }).ToArray()),
            ["frames"] = perFrame,
        };
    }
}
