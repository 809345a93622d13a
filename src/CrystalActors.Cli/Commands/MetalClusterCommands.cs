using CrystalActors.Campaign.Clusters;
using CrystalActors.Runtime.Cluster;
using System.CommandLine;
using System.Text.Json;
using CrystalActors.Crystals;
using CrystalActors.Crystals.Io;
using CrystalActors.Learning.Clusters;
using CrystalActors.Learning.Environments.Clusters;
using CrystalActors.Models.Relaxation;
using Serilog;

namespace CrystalActors.Cli.Commands;

/// <summary>`crystal-actors clusters run|evaluate|seed`: metal clusters in Cartesian space (issue #18, MeGen).
/// Not to be confused with `cluster`, the Akka.NET node cluster.</summary>
public static class MetalClusterCommands
{
    public static Command Create()
    {
        var cmd = new Command("clusters", "Metal clusters in Cartesian space: RL placement (covariant actor-critic, PPO), random search and basin hopping on M3GNet.");
        cmd.Subcommands.Add(Run());
        cmd.Subcommands.Add(Campaign());
        cmd.Subcommands.Add(Report());
        cmd.Subcommands.Add(Evaluate());
        cmd.Subcommands.Add(Seed());
        return cmd;
    }

    private static Command Run()
    {
        var config = new Option<FileInfo>("--config") { Description = "Cluster-run file (cluster-config/clusters-*.json).", Required = true };
        var seedOpt = new Option<int?>("--seed") { Description = "Override the config's random seed; the run is then named <name>-seed<N>" };
        var run = new Command("run", "Grow seed + bag with every configured method at one energy-evaluation budget; writes runs/<name>/.");
        run.Options.Add(config);
        run.Options.Add(seedOpt);
        run.SetAction(p =>
        {
            var o = ClusterRunOptions.Load(p.GetValue(config)!.FullName);
            if (p.GetValue(seedOpt) is int sd) o = o with { Seed = sd, Name = $"{o.Name}-seed{sd}" };
            CliLogging.ToFolder(Path.Combine(o.OutputRoot, o.Name), "run");
            var s = ClusterRunner.Run(o);
            foreach (var m in s)
                Console.WriteLine(FormattableString.Invariant($"{m.Method,-14} evaluations={m.Evaluations} min_energy_ev={m.MinEnergyEv:F4} n_unique={m.NUnique} n_low_energy={m.NLowEnergy} seconds={m.Seconds:F0}"));
            Console.WriteLine($"outputs: {Path.Combine(o.OutputRoot, o.Name)}");
            return 0;
        });
        return run;
    }

    private sealed class ModelOptions
    {
        public Option<string> Potential { get; } = new("--potential") { Description = "m3gnet or lennard-jones", DefaultValueFactory = _ => "m3gnet" };
        public Option<string> Weights { get; } = new("--weights")
        { Description = "M3GNet weights", DefaultValueFactory = _ => "../shared/reference/m3gnet/M3GNet-MP-2021.2.8-PES.safetensors" };
        public Option<double> Sigma { get; } = new("--sigma") { Description = "Lennard-Jones σ (Å)", DefaultValueFactory = _ => 1.0 };
        public Option<double> Fmax { get; } = new("--fmax") { Description = "FIRE force threshold (eV/Å)", DefaultValueFactory = _ => 0.05 };
        public Option<int> Steps { get; } = new("--steps") { Description = "FIRE step cap", DefaultValueFactory = _ => 300 };

        public void AddTo(Command c) { foreach (var o in new Option[] { Potential, Weights, Sigma, Fmax, Steps }) c.Options.Add(o); }

        public ClusterPotentialOptions Read(ParseResult p)
        {
            var kind = p.GetValue(Potential)!;
            if (kind is not ("m3gnet" or "lennard-jones")) throw new ArgumentException($"--potential '{kind}' is not one of m3gnet, lennard-jones");
            return new ClusterPotentialOptions { Kind = kind, Weights = SharedPaths.Resolve(p.GetValue(Weights)!), Sigma = p.GetValue(Sigma) };
        }

        public ClusterRelaxOptions Relax(ParseResult p) => new() { Fmax = p.GetValue(Fmax), MaxSteps = p.GetValue(Steps) };
    }

    private static Command Campaign()
    {
        var config = new Option<FileInfo>("--config") { Description = "Cluster-run file (cluster-config/clusters-*.json; its roles block).", Required = true };
        var node = new NodeOptions();
        var cmd = new Command("campaign", "Run (or resume) the RL agent of a cluster config on the campaign's actors: generators, PPO learner, " +
                                          "FIRE relaxers and pw.x checks of the lowest isomers, on whichever nodes hold those roles (default: all, one node).");
        cmd.Options.Add(config);
        node.AddTo(cmd);
        cmd.SetAction(async (p, ct) =>
        {
            // A bad config, option or seed file ends the command here (Cli: one line, exit 2).
            var o = ClusterRunOptions.Load(p.GetValue(config)!.FullName);
            var settings = node.Read(p, ClusterCampaignRunner.Roles, ClusterCampaignRunner.DefaultNode(o).JournalTarget!, ClusterCampaignRunner.Roles);
            if (settings.Roles.Contains("rollout") || settings.Roles.Contains("relaxer"))
                ClusterRunner.ReadSeed(o.SeedXyz, o.SeedFrame); // a bad seed file is one line now, not an actor failure later
            var run = ClusterCampaignRunner.RunDirectory(o);
            var logFile = Path.Combine(run, "logs", $"{settings.Name}.log");
            CliLogging.AlsoToFile(logFile, consoleWarningsOnly: false);
            Log.Information("Node {Node} runs roles {Roles}; log: {Log}", settings.Name, string.Join(",", settings.Roles), logFile);
            var last = await ClusterCampaignRunner.RunAsync(o, settings, ct);
            if (last is null) { Log.Error("cluster campaign {Name}: the coordinator never answered", o.Name); return 1; }
            Console.WriteLine(FormattableString.Invariant(
                $"phase={last.Phase} evaluations={last.Evaluations} episodes={last.Episodes} complete={last.Candidates} relaxed={last.RelaxDone}/{last.RelaxJobs} dft={last.DftDone}/{last.DftJobs} min_energy_ev={last.BestEnergyEv:F4}"));
            Console.WriteLine($"outputs: {run}");
            return last.Finished ? 0 : 1;
        });
        return cmd;
    }

    private static Command Report()
    {
        var runs = new Option<string>("--runs") { Description = "Folder holding <config>-seed<N>/ run folders.", DefaultValueFactory = _ => "runs" };
        var configs = new Option<string[]>("--config-name") { Description = "Config names to tabulate (repeatable).", DefaultValueFactory = _ => ["clusters-ga13-ga14", "clusters-ga17-ga18"], AllowMultipleArgumentsPerToken = true };
        var window = new Option<double>("--window-ev") { Description = "Isomers within this of the global lowest count as low-energy (eV).", DefaultValueFactory = _ => 0.1 };
        var cmd = new Command("report", "Markdown table (README) of the seeds of each config: lowest energy, unique and low-energy minima per method.");
        foreach (var o in new Option[] { runs, configs, window }) cmd.Options.Add(o);
        cmd.SetAction(p =>
        {
            int found = 0;
            foreach (var c in p.GetValue(configs)!)
            {
                try { Console.WriteLine(ClusterReport.Markdown(p.GetValue(runs)!, c, p.GetValue(window))); found++; }
                catch (Exception e) when (e is FileNotFoundException or InvalidDataException or CrystalFormatException or System.Text.Json.JsonException or KeyNotFoundException)
                {
                    Log.Warning("{Message}", e.Message);
                }
            }
            return found > 0 ? 0 : 2;
        });
        return cmd;
    }

    private static Command Evaluate()
    {
        var xyz = new Option<FileInfo>("--xyz") { Description = "XYZ / extended-XYZ file, one cluster per frame", Required = true };
        var output = new Option<FileInfo>("--out") { Description = "Output JSON (n_unique, min_energy_ev, mean_energy_ev, per-isomer energies after FIRE)", Required = true };
        var tol = new Option<double>("--tolerance") { Description = "Isomer fingerprint tolerance (Å)", DefaultValueFactory = _ => 0.05 };
        var model = new ModelOptions();
        var cmd = new Command("evaluate", "Relax every cluster of an XYZ file with FIRE, de-duplicate the minima and report their energies.");
        cmd.Options.Add(xyz); cmd.Options.Add(output); cmd.Options.Add(tol);
        model.AddTo(cmd);
        cmd.SetAction(p =>
        {
            var (potential, owner) = ClusterRunner.LoadPotential(model.Read(p));
            using var _ = owner;
            var json = ClusterRunner.Evaluate(p.GetValue(xyz)!.FullName, potential, model.Relax(p), p.GetValue(tol));
            var path = p.GetValue(output)!.FullName;
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            AtomicFile.WriteAllText(path, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            Console.WriteLine($"n_unique={json["n_unique"]} min_energy_ev={json["min_energy_ev"]} mean_energy_ev={json["mean_energy_ev"]} -> {path}");
            return 0;
        });
        return cmd;
    }

    private static Command Seed()
    {
        var element = new Option<string>("--element") { Description = "Element symbol", DefaultValueFactory = _ => "Ga" };
        var atoms = new Option<int>("--atoms") { Description = "Atoms in the cluster", Required = true };
        var budget = new Option<long>("--budget") { Description = "Energy evaluations for basin hopping", DefaultValueFactory = _ => 3000 };
        var temperature = new Option<double>("--temperature") { Description = "kT (eV)", DefaultValueFactory = _ => 0.1 };
        var rngSeed = new Option<int>("--seed") { Description = "Random seed", DefaultValueFactory = _ => 0 };
        var output = new Option<FileInfo>("--out") { Description = "Output XYZ (the lowest minimum, then the other minima)", Required = true };
        var model = new ModelOptions();
        var cmd = new Command("seed", "Basin hopping from a random cluster; writes the minima found (lowest first) as seeds.");
        foreach (var o in new Option[] { element, atoms, budget, temperature, rngSeed, output }) cmd.Options.Add(o);
        model.AddTo(cmd);
        cmd.SetAction(p =>
        {
            var e = Element.FromSymbol(p.GetValue(element)!);
            var (potential, owner) = ClusterRunner.LoadPotential(model.Read(p));
            using var _ = owner;
            var start = ClusterEnvironment.RandomCluster(e, p.GetValue(atoms), new PlacementRules(), new Random(p.GetValue(rngSeed)));
            var r = BasinHopping.Run(potential, start, p.GetValue(budget),
                new BasinHoppingOptions { Temperature = p.GetValue(temperature), Relax = model.Relax(p) }, p.GetValue(rngSeed));
            var path = p.GetValue(output)!.FullName;
            ExtendedXyz.WriteMolecules(path, r.Minima.Isomers.Select((x, k) => (x.Molecule.Centered().WithId(null),
                (IEnumerable<KeyValuePair<string, object>>?)new KeyValuePair<string, object>[] { new("energy", x.Energy), new("rank", k), new("method", "basin-hopping") })));
            Console.WriteLine(FormattableString.Invariant($"{e.Symbol}{p.GetValue(atoms)}: {r.Minima.Count} minima in {r.Evaluations} evaluations, lowest {r.Best.Energy:F4} eV -> {path}"));
            return 0;
        });
        return cmd;
    }
}
