using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using Akka.Persistence;
using CrystalActors.Campaign.Roles;
using CrystalActors.Crystals.Io;
using CrystalActors.Dft;
using CrystalActors.Dft.Input;
using CrystalActors.Learning.Clusters;
using CrystalActors.Learning.Offline;
using CrystalActors.Runtime.Cluster;
using CrystalActors.Runtime.Farming;
using CrystalActors.Runtime.Messages;
using CrystalActors.Runtime.Persistence;
using CsvHelper;
using Serilog;

namespace CrystalActors.Campaign.Clusters;

/// <summary>
/// The cluster campaign's coordinator, a persistent cluster singleton on a node with role "coordinator": journals every
/// batch, learner update and job, asks the farm where its jobs are, and writes the outputs at the end. Its decisions are
/// <see cref="ClusterCampaign.Handle"/>; this class journals and sends.
/// </summary>
public sealed class ClusterCoordinatorActor : ReceivePersistentActor, IWithTimers
{
    private readonly ClusterRunOptions _o;
    private readonly ClusterCampaignSettings _settings;
    private readonly string _run;
    private readonly IActorRef _farm, _mediator;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private ClusterCampaignState _state = ClusterCampaignState.Initial;
    private PolicyPublished? _policy;
    private ClusterCampaignProgress? _logged;
    private DateTime _loggedAt;

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(ClusterRunOptions o, string run, IActorRef farm, IActorRef mediator) =>
        Akka.Actor.Props.Create(() => new ClusterCoordinatorActor(o, run, farm, mediator));

    public ClusterCoordinatorActor(ClusterRunOptions o, string run, IActorRef farm, IActorRef mediator)
    {
        _o = o;
        _run = run;
        _farm = farm;
        _mediator = mediator;
        _settings = ClusterCampaignRunner.Settings(o);
        Recover<IClusterCampaignEvent>(e => _state = _state.Apply(e));
        Recover<RecoveryCompleted>(_ =>
        {
            if (_state.Episodes > 0) _log.Info("Cluster campaign {0}: resuming at {1} evaluations, phase {2}", _o.Name, _state.Evaluations, _state.Phase);
            Decide(new ClusterRecovered());
            Timers.StartPeriodicTimer("reconcile", Reconcile.Instance, TimeSpan.FromSeconds(2));
            Timers.StartPeriodicTimer("progress", ProgressTick.Instance, TimeSpan.FromSeconds(10));
        });
        Command<ClusterEpisodesPlayed>(b => Decide(new ClusterBatchArrived(b)));
        Command<ClusterLearnerUpdate>(u => Decide(new ClusterUpdateArrived(u)));
        Command<JobsStatus>(s => Decide(new ClusterFarmReported(s)));
        Command<PolicyPublished>(p => { if (p.Version > (_policy?.Version ?? -1)) _policy = p; });
        Command<CatchUp>(_ =>
        {
            if (_policy is { } p) Sender.Tell(p);
            if (_state.Phase != ClusterPhases.Training) Sender.Tell(StopGenerating.Instance);
        });
        Command<GetProgress>(_ => Sender.Tell(_state.Progress() with { TrainBudget = _settings.TrainBudget }));
        Command<Reconcile>(_ => { if (_state.InFlight.Count > 0) _farm.Tell(new QueryJobs(_state.InFlight)); });
        Command<ProgressTick>(_ =>
        {
            // A line when something moved, else one every 10 minutes (a long pw.x check must not flood the log).
            var p = _state.Progress();
            if (p == _logged && DateTime.UtcNow - _loggedAt < TimeSpan.FromMinutes(10)) return;
            (_logged, _loggedAt) = (p, DateTime.UtcNow);
            _log.Info(FormattableString.Invariant(
                $"Cluster campaign {_o.Name}: {p.Phase}, {p.Evaluations}/{_settings.TrainBudget} training evaluations, {p.Episodes} episodes, {p.Candidates} complete clusters, relaxed {p.RelaxDone}/{p.RelaxJobs}, DFT {p.DftDone}/{p.DftJobs}, lowest {p.BestEnergyEv:F4} eV"));
        });
        Command<JobAccepted>(_ => { });
    }

    public override string PersistenceId => "cluster-campaign";

    /// <summary>Akka's own line may say only "cannot rollback"; this one says when the disk is full or the folder read-only.</summary>
    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        if (SqliteJournal.Explain(Context.System, cause) is { } why) _log.Error("Journal write failed: {0}", why);
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    private void Decide(ClusterCampaignInput input)
    {
        var d = ClusterCampaign.Handle(_state, input, _settings);
        if (d.Events.Count == 0) { Adopt(d); return; }
        int left = d.Events.Count;
        PersistAll(d.Events, _ => { if (--left == 0) Adopt(d); });
    }

    private void Adopt(ClusterCampaignDecision d)
    {
        _state = d.State;
        foreach (var e in d.Events)
            if (e is ClusterJobFinished f)
                _log.Info(FormattableString.Invariant($"Cluster campaign: {f.Stage} {f.JobId}: {(f.Success ? $"{f.EnergyEv:F4} eV" : $"failed ({f.Failure})")}"));
        foreach (var fx in d.Effects)
        {
            switch (fx)
            {
                case SubmitClusterJob s: _farm.Tell(s.Job); break;
                case StopClusterGenerators: _mediator.Tell(new Publish(ClusterCampaignRunner.Topic, StopGenerating.Instance)); break;
                case FinishClusterCampaign f:
                    ClusterCampaignOutputs.Write(_run, _o, _state);
                    _log.Info("Cluster campaign {0} finished: {1}. Outputs in {2}", _o.Name, f.Reason, _run);
                    break;
            }
        }
    }

    private sealed record Reconcile : INoSerializationVerificationNeeded { public static readonly Reconcile Instance = new(); }
    private sealed record ProgressTick : INoSerializationVerificationNeeded { public static readonly ProgressTick Instance = new(); }
}

/// <summary>
/// Runs a cluster config on the campaign's actors (`clusters campaign`): the node's roles decide what it hosts —
/// coordinator (campaign coordinator + DFT farm), learner (PPO), rollout (generators), relaxer (FIRE workers),
/// dft-worker (pw.x workers). One node with all of them is the default.
/// </summary>
public static class ClusterCampaignRunner
{
    public const string Topic = "clusters", PolicyTopic = "clusters-policy";
    public static readonly string[] Roles = ["coordinator", "learner", "rollout", "relaxer", "dft-worker"];

    public static string RunDirectory(ClusterRunOptions o) => Path.GetFullPath(Path.Combine(o.OutputRoot, o.Name));

    public static NodeSettings DefaultNode(ClusterRunOptions o) => new()
    {
        Name = "local", Roles = Roles, JournalTarget = Path.Combine(RunDirectory(o), "state", "journal.db"), Profile = "single-node",
    };

    /// <summary>The Γ-point protocol of the DFT check: SSSP cutoffs (or the config's), Marzari-Vanderbilt smearing.</summary>
    public static DftProtocol Protocol(ClusterDftConfig d) => DftProtocol.Sssp with
    {
        Name = "cluster-gamma", KPoints = new KMesh(1, 1, 1), Occupations = "smearing", Smearing = "mv", DegaussRy = d.DegaussRy,
        EcutWfcRy = d.EcutWfcRy, EcutRhoRy = d.EcutRhoRy,
    };

    public static ClusterCampaignSettings Settings(ClusterRunOptions o) => new(
        (long)(o.Rl.TrainFraction * o.Budget), o.Roles.RelaxTop, o.Roles.Dft.Top, o.Roles.Dft.VacuumAngstrom, Protocol(o.Roles.Dft),
        o.IsomerTolerance, o.IsomerEnergyToleranceEv);

    public static async Task<ClusterCampaignProgress?> RunAsync(ClusterRunOptions o, NodeSettings settings, CancellationToken ct = default,
        Action<ClusterCampaignProgress>? onProgress = null)
    {
        var run = RunDirectory(o);
        Directory.CreateDirectory(run);
        if (settings.Roles.Contains("coordinator")) AtomicFile.WriteAllText(Path.Combine(run, "config.json"), o.ToJson());
        await using var node = await ClusterNode.StartAsync(settings, TimeSpan.FromMinutes(2), ct).ConfigureAwait(false);
        var coordinator = Place(node, o);
        ClusterCampaignProgress? last = null;
        while (!ct.IsCancellationRequested && !node.System.WhenTerminated.IsCompleted)
        {
            try
            {
                last = await coordinator.Ask<ClusterCampaignProgress>(GetProgress.Instance, TimeSpan.FromSeconds(5), ct).ConfigureAwait(false);
                onProgress?.Invoke(last);
                if (last.Finished)
                {
                    // As CampaignRunner: let the other nodes see the end before the coordinator's node leaves.
                    if (node.HasRole("coordinator"))
                    {
                        var until = DateTime.UtcNow.AddSeconds(15);
                        while (node.Cluster.State.Members.Count > 1 && DateTime.UtcNow < until && !ct.IsCancellationRequested)
                            await Task.Delay(500, CancellationToken.None).ConfigureAwait(false);
                    }
                    break;
                }
            }
            catch (AskTimeoutException) { }
            catch (OperationCanceledException) { break; }
            try { await Task.Delay(1000, ct).ConfigureAwait(false); } catch (OperationCanceledException) { break; }
        }
        return last;
    }

    /// <summary>Starts this node's share of the cluster campaign's roles; returns the coordinator's proxy.</summary>
    public static IActorRef Place(ClusterNode node, ClusterRunOptions o)
    {
        var system = node.System;
        var run = RunDirectory(o);
        var farm = node.Singleton("dft-farm", "coordinator");
        var coordinator = node.Singleton("cluster-campaign", "coordinator");
        var learner = node.Singleton("cluster-learner", "learner");
        node.StartSingleton("dft-farm", DftFarmActor.Props(new FarmOptions { Lease = TimeSpan.FromSeconds(60), MaxAttempts = 3 }), "coordinator");
        node.StartSingleton("cluster-campaign", ClusterCoordinatorActor.Props(o, run, farm, node.Mediator), "coordinator");
        var needsContext = node.HasRole("learner") || node.HasRole("rollout");
        var context = needsContext ? ClusterCampaignContext.Create(o) : null;
        if (context is not null) node.StartSingleton("cluster-learner", ClusterLearnerActor.Props(context, coordinator, node.Mediator), "learner");
        if (node.HasRole("rollout"))
        {
            var incarnation = Guid.NewGuid().ToString("N")[..6];
            for (int g = 0; g < o.Roles.Generators; g++)
                system.ActorOf(ClusterGeneratorActor.Props($"{node.Name}/cluster-gen-{g}#{incarnation}", context!, o.Seed * 1000 + g, learner, coordinator, node.Mediator), $"cluster-gen-{g}");
        }
        if (node.HasRole("relaxer"))
            system.ActorOf(FarmWorkerActor.Props($"{node.Name}/cluster-relax-1", ClusterCampaign.RelaxStage,
                new ClusterRelaxExecutor(() => ClusterRunner.LoadPotential(o.Potential).Potential, o.RelaxOptions()), farm), "cluster-relax-1");
        if (node.HasRole("dft-worker") && o.Roles.Dft.Top > 0)
        {
            var d = o.Roles.Dft;
            var dftOptions = new DftOptions { MpiRanks = d.MpiRanks, Launcher = d.Launcher, WallTimeMinutes = d.WallTimeMinutes, Archive = true };
            var dft = new DftJobExecutor(new DftService(dftOptions.ServiceOptions(run)));
            for (int i = 1; i <= d.Runners; i++)
                system.ActorOf(FarmWorkerActor.Props($"{node.Name}/dft-{i}", ClusterCampaign.DftStage, dft, farm), $"dft-{i}");
        }
        return coordinator;
    }
}

/// <summary>
/// What a cluster campaign leaves in runs/&lt;name&gt;/: clusters.xyz (every distinct FIRE minimum, lowest first, extended
/// XYZ with energy, rank, ΔE and the DFT energy where computed; ASE reads it), candidates.xyz (the agent's distinct
/// unrelaxed clusters sent to the relaxers), curve.csv (training evaluations → best unrelaxed energy, mean return),
/// ppo.csv, tensorboard/ and summary.json.
/// </summary>
public static class ClusterCampaignOutputs
{
    public static void Write(string run, ClusterRunOptions o, ClusterCampaignState s)
    {
        var settings = ClusterCampaignRunner.Settings(o);
        var minima = ClusterCampaign.Lowest(s.FinishedOf(ClusterCampaign.RelaxStage).Where(r => r.Success).OrderBy(r => r.JobId, StringComparer.Ordinal)
            .Select(r => new ClusterCandidate(r.Cluster!, r.EnergyEv!.Value)), int.MaxValue, settings);
        var dftByRank = s.FinishedOf(ClusterCampaign.DftStage).ToDictionary(d => int.Parse(d.JobId["dft-".Length..], CultureInfo.InvariantCulture));
        double lowest = minima.Count > 0 ? minima[0].Energy : double.NaN;
        var frames = minima.Select((m, rank) =>
        {
            var info = new List<KeyValuePair<string, object>> { new("energy", m.Energy), new("rank", rank), new("delta_e_ev", m.Energy - lowest), new("method", "rl-actors") };
            if (dftByRank.TryGetValue(rank, out var d) && d.Success) info.Add(new("dft_energy_ev", d.EnergyEv!.Value));
            return (m.Cluster.WithId(null), (IEnumerable<KeyValuePair<string, object>>?)info);
        }).ToList();
        ExtendedXyz.WriteMolecules(Path.Combine(run, "clusters.xyz"), frames);
        var candidates = s.JobsOf(ClusterCampaign.RelaxStage).OrderBy(j => j.JobId, StringComparer.Ordinal)
            .Select(j => JsonSerializer.Deserialize<ClusterRelaxJob>(j.Payload, ClusterCampaign.Json)!)
            .Select((c, k) => (c.Cluster, (IEnumerable<KeyValuePair<string, object>>?)new KeyValuePair<string, object>[] { new("energy", c.Energy), new("rank", k) })).ToList();
        ExtendedXyz.WriteMolecules(Path.Combine(run, "candidates.xyz"), candidates);

        static string I(long x) => x.ToString(CultureInfo.InvariantCulture);
        static string R(double x) => x.ToString("R", CultureInfo.InvariantCulture);
        using (var tb = new TensorBoardWriter(Path.Combine(run, "tensorboard")))
        {
            foreach (var (ev, best, ret) in s.Curve)
            {
                if (double.IsFinite(best)) tb.AddScalar("charts/best_unrelaxed_energy", best, ev);
                tb.AddScalar("charts/mean_return", ret, ev);
            }
            AtomicFile.Write(Path.Combine(run, "curve.csv"), stream =>
            {
                using var csv = CsvWriter.Create(stream, CsvWriterOptions.Default, leaveOpen: true);
                csv.WriteHeader(["evaluations", "best_unrelaxed_energy_ev", "mean_return"]);
                foreach (var (ev, best, ret) in s.Curve) csv.WriteRecord([I(ev), R(best), R(ret)]);
            });
            foreach (var u in s.Updates)
            {
                tb.AddScalar("losses/policy", u.Update.PolicyLoss, u.Evaluations);
                tb.AddScalar("losses/value", u.Update.ValueLoss, u.Evaluations);
                tb.AddScalar("losses/entropy", u.Update.Entropy, u.Evaluations);
            }
            AtomicFile.Write(Path.Combine(run, "ppo.csv"), stream =>
            {
                using var csv = CsvWriter.Create(stream, CsvWriterOptions.Default, leaveOpen: true);
                csv.WriteHeader(["version", "evaluations", "episodes", "mean_return", "policy_loss", "value_loss", "entropy"]);
                foreach (var u in s.Updates)
                    csv.WriteRecord([I(u.Update.Version), I(u.Evaluations), I(u.Update.Episodes), R(u.Update.MeanReturn), R(u.Update.PolicyLoss),
                        R(u.Update.ValueLoss), R(u.Update.Entropy)]);
            });
        }
        var json = new JsonObject
        {
            ["name"] = o.Name, ["seed_xyz"] = o.SeedXyz, ["bag"] = string.Join(",", o.BagElements().Select(e => e.Symbol)), ["potential"] = o.Potential.Kind,
            ["reason"] = s.FinishReason, ["training_evaluations"] = s.Evaluations, ["relax_evaluations"] = s.RelaxEvaluations,
            ["episodes"] = s.Episodes, ["invalid_episodes"] = s.Invalid, ["policy_updates"] = s.Updates.Count,
            ["complete_clusters"] = s.Candidates.Count, ["relaxed"] = s.FinishedOf(ClusterCampaign.RelaxStage).Count(r => r.Success),
            ["n_unique"] = minima.Count, ["min_energy_ev"] = minima.Count > 0 ? minima[0].Energy : null,
            ["n_low_energy"] = minima.Count(m => m.Energy <= lowest + o.EnergyWindowEv),
            ["dft"] = new JsonArray(s.FinishedOf(ClusterCampaign.DftStage).OrderBy(d => d.JobId, StringComparer.Ordinal).Select(d => (JsonNode)new JsonObject
            {
                ["job"] = d.JobId, ["success"] = d.Success, ["energy_ev"] = d.EnergyEv, ["failure"] = d.Failure,
            }).ToArray()),
        };
        AtomicFile.WriteAllText(Path.Combine(run, "summary.json"), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }
}
