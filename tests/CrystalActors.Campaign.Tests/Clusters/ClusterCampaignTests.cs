using System.Globalization;
using System.Text.Json;
using CrystalActors.Campaign.Clusters;
using CrystalActors.Campaign.Roles;
using CrystalActors.Crystals;
using CrystalActors.Crystals.Io;
using CrystalActors.Dft;
using CrystalActors.Learning.Clusters;
using CrystalActors.Models.Clusters;
using CrystalActors.Runtime.Messages;
using CrystalActors.Tests.Shared;

namespace CrystalActors.Campaign.Tests.Clusters;

/// <summary>The cluster task on the campaign's actors: the coordinator's pure decisions, the wire, and whole runs on one node.</summary>
[Collection(nameof(CampaignLoop))]
public class ClusterCampaignTests
{
    private static readonly Element Ga = Element.FromSymbol("Ga");

    private static ClusterCampaignSettings Settings(int relaxTop = 2, int dftTop = 0) =>
        new(TrainBudget: 10, relaxTop, dftTop, VacuumAngstrom: 8, ClusterCampaignRunner.Protocol(new ClusterDftConfig()), IsomerTolerance: 0.05, IsomerEnergyTolerance: null);

    private static Molecule Dimer(double d, double shift = 0) => new([Ga, Ga], [new Vec3(shift, 0, 0), new Vec3(shift + d, 0, 0)]);

    private static ClusterEpisodeRecord Episode(Molecule final, double energy, bool complete = true) =>
        new([new ClusterStepRecord(new Molecule([Ga], [Vec3.Zero]), 1.0, 0, 3, final.Distance(0, 1), new Vec3(1, 0, 0), final.Positions[1], -2.5, 0.1, -energy, true)],
            final, energy, complete, PolicyVersion: 0);

    private static ClusterEpisodesPlayed Batch(string gen, long n, long evaluations, params ClusterEpisodeRecord[] episodes) => new(gen, n, episodes, evaluations);

    [Fact]
    public void Batches_AreRecordedOnce_AndTrainingEndsAtTheBudget_WithOneRelaxJobPerDistinctCluster()
    {
        var o = Settings(relaxTop: 5);
        var s = ClusterCampaignState.Initial;
        var d = ClusterCampaign.Handle(s, new ClusterBatchArrived(Batch("g", 1, 4, Episode(Dimer(2.8), -1.0), Episode(Dimer(3.4), -0.5, complete: false))), o);
        Assert.Single(d.Events);
        Assert.Empty(d.Effects);
        Assert.Equal(4, d.State.Evaluations);
        Assert.Single(d.State.Candidates); // the incomplete episode builds no candidate
        Assert.Equal(1, d.State.Invalid);

        // A re-sent batch changes nothing.
        Assert.Empty(ClusterCampaign.Handle(d.State, new ClusterBatchArrived(Batch("g", 1, 4, Episode(Dimer(2.8), -1.0))), o).Events);

        // The same dimer, translated, is one isomer; a longer one is another. The budget (10) is spent by this batch.
        d = ClusterCampaign.Handle(d.State, new ClusterBatchArrived(Batch("g", 2, 6, Episode(Dimer(2.8, shift: 5), -1.0), Episode(Dimer(2.6), -0.8))), o);
        Assert.Equal(ClusterPhases.Relaxing, d.State.Phase);
        Assert.Single(d.Effects.OfType<StopClusterGenerators>());
        var jobs = d.Effects.OfType<SubmitClusterJob>().Select(j => j.Job).ToList();
        Assert.Equal(["relax-0000", "relax-0001"], jobs.Select(j => j.JobId));
        Assert.All(jobs, j => Assert.Equal([ClusterCampaign.RelaxStage], j.Stages));
        var first = JsonSerializer.Deserialize<ClusterRelaxJob>(jobs[0].Payload, ClusterCampaign.Json)!;
        Assert.Equal(-1.0, first.Energy); // lowest first
        Assert.Equal(2.8, first.Cluster.Distance(0, 1), 9);

        // Batches after the stop are not counted.
        Assert.Empty(ClusterCampaign.Handle(d.State, new ClusterBatchArrived(Batch("g", 3, 6, Episode(Dimer(2.7), -0.9))), o).Events);
    }

    private static JobStatus RelaxDone(string id, double d, double energy, int steps) => new(id, JobStates.Completed, null,
        JsonSerializer.Serialize(new ClusterRelaxResult(Dimer(d), energy + 0.1, energy, steps, true), ClusterCampaign.Json), null, 0.1, 1);

    [Fact]
    public void RelaxResults_ThenDftOfTheLowestMinimum_InAVacuumBox_ThenFinishOnce()
    {
        var o = Settings(relaxTop: 2, dftTop: 1);
        var s = ClusterCampaign.Handle(ClusterCampaignState.Initial,
            new ClusterBatchArrived(Batch("g", 1, 10, Episode(Dimer(2.8), -1.0), Episode(Dimer(2.5), -0.7))), o).State;
        Assert.Equal(2, s.InFlight.Count);

        // The farm never journaled relax-0001 (the coordinator crashed between journaling and sending): submitted again.
        var d = ClusterCampaign.Handle(s, new ClusterFarmReported(new JobsStatus([RelaxDone("relax-0000", 2.5, -1.2, 7),
            new JobStatus("relax-0001", JobStates.Unknown, null, null, null, null, 0)])), o);
        Assert.Equal("relax-0001", Assert.Single(d.Effects.OfType<SubmitClusterJob>()).Job.JobId);
        Assert.Equal(ClusterPhases.Relaxing, d.State.Phase);

        d = ClusterCampaign.Handle(d.State, new ClusterFarmReported(new JobsStatus([RelaxDone("relax-0001", 2.8, -1.5, 9)])), o);
        Assert.Equal(ClusterPhases.Dft, d.State.Phase);
        Assert.Equal(7 + 1 + 9 + 1, d.State.RelaxEvaluations);
        var dft = Assert.Single(d.Effects.OfType<SubmitClusterJob>()).Job;
        Assert.Equal("dft-0000", dft.JobId);
        var payload = DftJobPayload.Parse(dft.Payload);
        var box = DftJobExecutor.ParseStructure(payload);
        Assert.Equal(2.8 + 8, box.Lattice.Parameters.A, 9); // the lowest minimum (−1.5 eV, 2.8 Å) in a cube of its diameter + vacuum
        Assert.Equal(2.8, (box.CartesianCoords[1] - box.CartesianCoords[0]).Length, 6);
        Assert.Equal(new Dft.Input.KMesh(1, 1, 1), payload.Protocol.KPoints);
        Assert.Equal("smearing", payload.Protocol.Occupations);

        var result = JsonSerializer.Serialize(new DftResult { Formula = "Ga2", NumSites = 2, Protocol = "cluster-gamma", Status = "ok", TotalEnergyEv = -7558.0, FailureClass = Dft.Handlers.DftFailureClass.None, Fingerprint = "f", ProtocolHash = "h" },
            DftJobExecutor.ResultJson);
        d = ClusterCampaign.Handle(d.State, new ClusterFarmReported(new JobsStatus([new JobStatus("dft-0000", JobStates.Completed, dft.Payload, result, null, 15, 1)])), o);
        Assert.Equal(ClusterPhases.Finished, d.State.Phase);
        Assert.Single(d.Effects.OfType<FinishClusterCampaign>());
        var finished = d.State.Finished["dft-0000"];
        Assert.True(finished.Success);
        Assert.Equal(-7558.0, finished.EnergyEv);
        Assert.Empty(ClusterCampaign.Handle(d.State, new ClusterRecovered(), o).Effects); // finishing is decided once
    }

    [Fact]
    public void NoCompleteCluster_FinishesWithTheReason()
    {
        var d = ClusterCampaign.Handle(ClusterCampaignState.Initial,
            new ClusterBatchArrived(Batch("g", 1, 12, Episode(Dimer(9), -0.1, complete: false))), Settings());
        Assert.Equal(ClusterPhases.Finished, d.State.Phase);
        Assert.Contains("no complete cluster", d.State.FinishReason);
        Assert.Single(d.Effects.OfType<FinishClusterCampaign>());
    }

    [Fact]
    public void EpisodesPlayed_CrossTheWire_AndRebuildTheSameTransitions()
    {
        var options = new CovariantPolicyOptions();
        var canvas = new Molecule([Ga, Ga, Ga], [Vec3.Zero, new Vec3(2.7, 0, 0), new Vec3(1.3, 2.3, 0.1)]);
        var step = new ClusterStepRecord(canvas, 0.5, 2, 4, 2.75, new Vec3(0, 0, 1), new Vec3(1.3, 2.3, 2.85), -3.25, 0.75, 0.4, false);
        var batch = new ClusterEpisodesPlayed("n/cluster-gen-0#ab", 3, [new ClusterEpisodeRecord([step], canvas, -7.5, true, 5)], 17);
        var serializer = new WireSerializer(null!);
        var back = (ClusterEpisodesPlayed)serializer.FromBinary(serializer.ToBinary(batch), serializer.Manifest(batch));
        var e = Assert.Single(back.Episodes);
        Assert.True(e.Final.ApproxEquals(canvas, 0));
        Assert.Equal(step with { Canvas = e.Steps[0].Canvas }, e.Steps[0]);
        Assert.Equal(17, back.Evaluations);
        var t = e.Steps[0].ToTransition(options);
        Assert.Equal(ClusterObservation.Build(canvas, 0.5, options).NodeFeatures, t.Obs.NodeFeatures);
        Assert.Equal(-3.25, t.Action.LogProb);

        // A message naming an unknown element is refused with the reason, never half-read.
        var bad = System.Text.Encoding.UTF8.GetString(serializer.ToBinary(batch)).Replace("\"Ga\"", "\"Xx\"");
        var error = Assert.Throws<System.Runtime.Serialization.SerializationException>(() =>
            serializer.FromBinary(System.Text.Encoding.UTF8.GetBytes(bad), serializer.Manifest(batch)));
        Assert.Contains("unknown element 'Xx'", error.Message);
    }

    private static ClusterRunOptions Lj(string root, string name, Dictionary<string, int> bag, string seedXyz) => new()
    {
        Name = name, OutputRoot = root, Seed = 1, SeedXyz = seedXyz, Bag = bag, Budget = 200,
        Potential = new ClusterPotentialOptions { Kind = "lennard-jones", Epsilon = 1.0, Sigma = 2.5 },
        Relax = new ClusterRelaxConfig { Fmax = 0.001, Steps = 300 },
        Rl = new ClusterRlOptions { EpisodesPerIteration = 8, Hidden = 16, LearningRate = 0.003 },
        Roles = new ClusterRolesConfig { Generators = 1, RelaxTop = 4 },
    };

    [Fact]
    public async Task Campaign_OnOneNode_GrowsLj12IntoTheLj13Icosahedron_AndWritesOutputs()
    {
        var root = Directory.CreateTempSubdirectory("ca-clusters-").FullName;
        var seed = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "cluster-config", "clusters", "LJ12-sigma2.5.xyz");
        var o = Lj(root, "lj13", new() { ["Ga"] = 1 }, Path.GetFullPath(seed));
        o.Validate("test");
        var last = await ClusterCampaignRunner.RunAsync(o, ClusterCampaignRunner.DefaultNode(o));

        Assert.NotNull(last);
        Assert.True(last.Finished);
        Assert.True(last.Evaluations >= 100); // train_fraction 0.5 of 200
        var run = ClusterCampaignRunner.RunDirectory(o);
        var frames = ExtendedXyz.ReadMolecules(Path.Combine(run, "clusters.xyz"));
        Assert.NotEmpty(frames);
        // LJ13's icosahedron: −44.3268 ε (Wales & Doye 1997); σ = 2.5 Å only scales lengths.
        var lj = new LennardJonesPotential(1.0, 2.5);
        double lowest = double.Parse(frames[0].Info["energy"], CultureInfo.InvariantCulture);
        Assert.Equal(-44.3268, lowest, 3);
        foreach (var f in frames)
            Assert.Equal(lj.Compute(f.Molecule).Energy, double.Parse(f.Info["energy"], CultureInfo.InvariantCulture), 6);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "summary.json")));
        Assert.Equal(frames.Count, summary.RootElement.GetProperty("n_unique").GetInt32());
        Assert.True(summary.RootElement.GetProperty("policy_updates").GetInt32() >= 1);
        var ppo = File.ReadAllLines(Path.Combine(run, "ppo.csv"));
        Assert.Equal(summary.RootElement.GetProperty("policy_updates").GetInt32() + 1, ppo.Length);
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(run, "tensorboard"), "events.out.tfevents.*"));
    }

    [PwFact]
    public async Task Campaign_ChecksTheLowestIsomerWithPwX_GammaPointInAVacuumBox()
    {
        var root = Directory.CreateTempSubdirectory("ca-clusters-dft-").FullName;
        var seed = Path.Combine(root, "Ga1.xyz");
        File.WriteAllText(seed, "1\nGa atom\nGa 0 0 0\n");
        var o = Lj(root, "ga2", new() { ["Ga"] = 1 }, seed) with
        {
            Budget = 32,
            Roles = new ClusterRolesConfig
            {
                Generators = 1, RelaxTop = 2,
                Dft = new ClusterDftConfig { Top = 1, VacuumAngstrom = 6, EcutWfcRy = 25, EcutRhoRy = 200, MpiRanks = 1, Launcher = "none", WallTimeMinutes = 10 },
            },
        };
        o.Validate("test");
        var last = await ClusterCampaignRunner.RunAsync(o, ClusterCampaignRunner.DefaultNode(o));
        Assert.NotNull(last);
        Assert.True(last.Finished);
        Assert.Equal(1, last.DftDone);

        var run = ClusterCampaignRunner.RunDirectory(o);
        var frame = ExtendedXyz.ReadMolecules(Path.Combine(run, "clusters.xyz"))[0];
        double campaignDft = double.Parse(frame.Info["dft_energy_ev"], CultureInfo.InvariantCulture);
        // The LJ dimer minimum sits at 2^(1/6) σ; pw.x of that dimer in the same box and protocol gives the same energy.
        Assert.Equal(Math.Pow(2, 1.0 / 6) * 2.5, frame.Molecule.Distance(0, 1), 3);
        var box = frame.Molecule.InBox(ClusterCampaign.Diameter(frame.Molecule) + 6);
        var service = new DftService(new DftServiceOptions { Runner = new Dft.Execution.PwRunnerOptions { MpiRanks = 1, Launcher = Dft.Execution.PwLauncher.None } });
        var direct = await service.RunAsync(DftJobExecutor.ToCell(box), ClusterCampaignRunner.Protocol(o.Roles.Dft), "direct");
        Assert.True(direct.IsSuccess, direct.Status);
        Assert.Equal(direct.TotalEnergyEv!.Value, campaignDft, 4);
    }
}

/// <summary>The same run split over two nodes, as a GPU + CPU allocation would place it.</summary>
[Collection(nameof(CampaignLoop))]
public class ClusterCampaignTwoNodeTests
{
    private static int FreePort()
    {
        var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        int port = ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    [Fact]
    public async Task LearnerAndCoordinator_OnOneNode_GeneratorsAndRelaxer_OnAnother()
    {
        var root = Directory.CreateTempSubdirectory("ca-clusters-2n-").FullName;
        var seed = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "cluster-config", "clusters", "LJ12-sigma2.5.xyz"));
        var o = new ClusterRunOptions
        {
            Name = "lj13-2n", OutputRoot = root, Seed = 2, SeedXyz = seed, Bag = new() { ["Ga"] = 1 }, Budget = 120,
            Potential = new ClusterPotentialOptions { Kind = "lennard-jones", Epsilon = 1.0, Sigma = 2.5 },
            Relax = new ClusterRelaxConfig { Fmax = 0.001, Steps = 300 },
            Rl = new ClusterRlOptions { EpisodesPerIteration = 8, Hidden = 16 },
            Roles = new ClusterRolesConfig { Generators = 2, RelaxTop = 3 },
        };
        int port = FreePort();
        var journal = Path.Combine(root, "journal.db");
        var learnerNode = new Runtime.Cluster.NodeSettings
        {
            Name = "gpu0", Roles = ["coordinator", "learner"], Port = port, Seeds = [$"127.0.0.1:{port}"], Profile = "local-cluster", JournalTarget = journal,
        };
        var workerNode = new Runtime.Cluster.NodeSettings
        {
            Name = "cpu0", Roles = ["rollout", "relaxer"], Seeds = [$"127.0.0.1:{port}"], Profile = "local-cluster", JournalTarget = journal,
        };
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var a = ClusterCampaignRunner.RunAsync(o, learnerNode, cts.Token);
        var b = ClusterCampaignRunner.RunAsync(o, workerNode, cts.Token);
        var results = await Task.WhenAll(a, b);

        Assert.All(results, r => Assert.True(r?.Finished, "both nodes see the end"));
        Assert.True(results[0]!.Evaluations >= 60);
        Assert.Equal(results[0]!.RelaxJobs, results[0]!.RelaxDone);
        var frames = ExtendedXyz.ReadMolecules(Path.Combine(ClusterCampaignRunner.RunDirectory(o), "clusters.xyz"));
        var lj = new LennardJonesPotential(1.0, 2.5);
        Assert.All(frames, f => Assert.Equal(lj.Compute(f.Molecule).Energy, f.Energy!.Value, 6));
        // Every batch came from the worker node's two generators.
        var events = await Runtime.Persistence.JournalReader.EventsAsync(Runtime.Cluster.JournalKind.Sqlite, journal, "cluster-campaign");
        var gens = events.OfType<ClusterBatchRecorded>().Select(e => e.Generator.Split('#')[0]).Distinct().Order().ToList();
        Assert.Equal(["cpu0/cluster-gen-0", "cpu0/cluster-gen-1"], gens);
    }
}
