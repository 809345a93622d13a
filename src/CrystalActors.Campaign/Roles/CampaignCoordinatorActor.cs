using System.Diagnostics;
using CrystalActors.Campaign.Reporting;
using CrystalActors.Crystals.Io;
using CrystalActors.Runtime.Actors;
using CrystalActors.Runtime.Persistence;
using Serilog;

namespace CrystalActors.Campaign.Roles;

/// <summary>
/// The campaign coordinator: journals every episode summary, DFT request and result and model
/// version; decides which designs go to DFT; follows DFT jobs in the job table (it runs on the node
/// that holds it) so that no result is lost, even one finished while this node was down; stops the
/// campaign and writes the report. Its decisions are <see cref="CampaignState"/> and
/// <see cref="CampaignPolicy"/>; this class only receives, persists and sends.
/// </summary>
public sealed class CampaignCoordinatorActor(
    CampaignOptions options, string runDirectory, Func<ClusterDatabase> openDatabase, CampaignRoles roles, TaskCompletionSource<CampaignReport> finished,
    Action<CampaignProgress>? onProgress = null, Action<long>? restoreEnvironmentSteps = null)
    : IActor
{
    private ClusterDatabase? _db;
    private PersistentEntity<CampaignState>? _campaign;
    private JobStore? _jobs;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private bool _generating = true;
    private CampaignScalars? _scalars;
    private int _pendingFineTunes;
    private TimeSpan? _stopSeenAt;
    private Design.OptimumResult? _optimum;
    private double _epsilon = double.NaN;

    /// <summary>How long a stopping campaign waits for fine-tuning rounds still running.</summary>
    private static readonly TimeSpan FineTuneGrace = TimeSpan.FromMinutes(2);

    public CampaignState State => _campaign!.State;

    public Task StartedAsync(ActorContext context)
    {
        _db = openDatabase();
        _jobs = new JobStore(_db);
        _campaign = new PersistentEntity<CampaignState>(new EventJournal(_db), CampaignJournal.Entity, new CampaignState(),
            CampaignJournal.Apply, CampaignJournal.Serialize, CampaignJournal.Deserialize);
        var s = _campaign.Recover();
        _scalars = new CampaignScalars(runDirectory);
        _optimum = Reporting.OptimumFile.TryRead(runDirectory);
        if (s.Episodes > 0)
            Log.Information("Campaign {Name}: resuming after episode {Episodes} ({Dft} DFT requested, {InFlight} in flight)",
                options.Name, s.Episodes, s.DftRequestedCount, s.DftInFlight);
        restoreEnvironmentSteps?.Invoke(s.EnvironmentSteps); // epsilon continues where it was
        if (s.Episodes >= options.Episodes) StopGenerating();
        // Roles restart from the latest registered model versions.
        if (s.Models.TryGetValue("reward-model", out var rm))
        {
            var notice = new RewardModelPublished(rm.Version, rm.Path, rm.Sha256);
            roles.RewardModel()?.TryTell(notice);
            roles.FineTuner()?.TryTell(notice);
        }
        if (s.Models.TryGetValue("policy", out var p))
        {
            RememberPolicyFile(p.Version, p.Path);
            var notice = new PolicyPublished(p.Version, p.Path, p.Sha256);
            TellLearner(notice);
            foreach (var g in roles.Generators()) g.TryTell(notice);
        }
        // A request journaled before a crash may never have reached the farm: send it again (job ids make it idempotent).
        foreach (var r in s.InFlight.Values.Where(r => _jobs.Find(r.JobId) is null))
            roles.Relaxer()?.TryTell(new RelaxAndCompute(r.JobId, r.Episode, r.StructureJson));
        context.System.ScheduleTicks(context.Self, "reconcile", TimeSpan.FromSeconds(1));
        context.System.ScheduleTicks(context.Self, "progress", TimeSpan.FromSeconds(10));
        return Task.CompletedTask;
    }

    public Task ReceiveAsync(object message, ActorContext context)
    {
        switch (message)
        {
            case EpisodesPlayed batch when _generating:
                _epsilon = batch.Epsilon;
                OnEpisodes(batch);
                break;
            case EpisodesPlayed:
                // A generator that started after the stop (e.g. a resumed, already finished campaign) is told again.
                foreach (var g in roles.Generators()) g.TryTell(Roles.StopGenerating.Instance);
                break;
            case PolicyPublished p:
                Persist(new ModelVersionRegistered("policy", p.Version, p.Path, p.Sha256));
                RememberPolicyFile(p.Version, p.Path);
                break;
            case RewardModelPublished r:
                _pendingFineTunes = Math.Max(0, _pendingFineTunes - 1);
                Persist(new ModelVersionRegistered("reward-model", r.Version, r.Path, r.Sha256));
                break;
            case CheckpointWritten c:
                Persist(new ModelVersionRegistered(c.Model, c.Version, c.Path, c.Sha256));
                break;
            case GreedyReport g:
                OnGreedy(g);
                break;
            case Tick { Name: "reconcile" }:
                Reconcile();
                onProgress?.Invoke(CampaignProgress.From(options, State, _epsilon, _clock.Elapsed));
                break;
            case Tick { Name: "progress" }:
                Progress();
                break;
        }
        CheckStop();
        return Task.CompletedTask;
    }

    private void OnEpisodes(EpisodesPlayed batch)
    {
        for (int i = 0; i < batch.Episodes.Count && _generating; i++)
        {
            var played = batch.Episodes[i];
            var s = State;
            if (s.Episodes >= options.Episodes)
            {
                StopGenerating(); // a batch played before the generators heard of the stop
                break;
            }
            long n = s.Episodes + 1;
            var structure = played.Episode.ToStructure();
            var json = Mp20JsonWriter.ToJsonLine(structure, (int)n, $"{options.Name}-e{n}");
            var events = new List<CampaignEvent>
            {
                new EpisodeCompleted(n, batch.Generator, structure.Composition.ReducedFormula, batch.Rewards[i], batch.PredictedGapsEv[i],
                    played.PolicyVersion, batch.RewardModelVersion, json, played.Steps.Count),
            };
            bool toDft = CampaignPolicy.ShouldRequestDft(s, n, options.DftEvery, options.DftBudget,
                eligible: played.Episode.DistinctElements <= Design.OnlineReward.MaxDistinctElements);
            string jobId = $"{options.Name}-e{n}";
            if (toDft) events.Add(new DftRequested(jobId, n, structure.Composition.ReducedFormula, json, batch.PredictedGapsEv[i]));
            Persist(events.ToArray());
            _scalars!.Write(n, "charts/episode_reward", batch.Rewards[i]);
            if (toDft)
            {
                TellLearner(new EpisodeForDft(n, played));
                roles.Relaxer()?.TryTell(new RelaxAndCompute(jobId, n, json));
            }
            if (n >= options.Episodes) StopGenerating();
        }
    }

    /// <summary>Recent policy versions' files, so the best greedy-evaluated one can be kept (the store holds them all).</summary>
    private readonly SortedDictionary<long, string> _policyFiles = new();

    private void RememberPolicyFile(long version, string path)
    {
        _policyFiles[version] = path;
        while (_policyFiles.Count > 256) _policyFiles.Remove(_policyFiles.Keys.First());
    }

    private void OnGreedy(GreedyReport g)
    {
        // The best greedy policy so far is kept beside the latest one: Exp. 1's deliverable is the policy that
        // designs the best crystal, and DQN's greedy reward need not rise monotonically.
        bool best = State.Greedy.Count == 0 || g.MeanReward > State.Greedy.Max(x => x.MeanReward);
        if (best && _policyFiles.TryGetValue(g.PolicyVersion, out var file) && File.Exists(file))
        {
            var target = Path.Combine(runDirectory, "best-policy.safetensors");
            File.Copy(file, target + ".tmp", overwrite: true);
            File.Move(target + ".tmp", target, overwrite: true);
        }
        var e = new GreedyEvaluated(State.Episodes, g.EnvironmentSteps, g.MeanReward, g.BestReward, g.BestFormula, g.BestGapEv, g.PolicyVersion);
        Persist(e);
        _scalars!.Write(State.Episodes, "greedy/mean_reward", g.MeanReward);
        _scalars.Write(State.Episodes, "greedy/best_reward", g.BestReward);
        var optimum = _optimum is { } o ? FormattableString.Invariant($" ({100 * g.MeanReward / o.Reward:F1}% of the optimum {o.Reward:F4}, {o.Formula})") : "";
        Log.Information("Campaign {Name}: greedy policy v{Version} after {Steps} steps: mean reward {Mean:F4}, best {Best:F4} ({Formula}){Optimum}",
            options.Name, g.PolicyVersion, g.EnvironmentSteps, g.MeanReward, g.BestReward, g.BestFormula, optimum);
    }

    /// <summary>Applies every finished DFT job of the job table to the campaign, exactly once.</summary>
    private void Reconcile()
    {
        foreach (var request in State.InFlight.Values.ToList())
        {
            var row = _jobs!.Find(request.JobId);
            if (row is null || (row.State != JobStates.Completed && row.State != JobStates.Failed)) continue;
            Dft.DftResult? result = null;
            if (row.Result is { } json)
            {
                try { result = Roles.DftJobExecutor.ParseResult(json); }
                catch (Exception e) { Log.Warning("Campaign: job {Job} has an unreadable result ({Error}); counted as failed", request.JobId, e.Message); }
            }
            bool ok = row.State == JobStates.Completed && result is { IsSuccess: true, BandGapEv: not null };
            var finishedEvent = new DftFinished(request.JobId, ok, result?.BandGapEv, result?.TotalEnergyEv,
                ok ? null : result?.FailureClass.ToString() ?? row.Error ?? "farm_failure", result?.WallSeconds ?? row.ExecutorSeconds ?? 0,
                null, result?.CacheHit ?? false);
            Persist(finishedEvent);
            var structure = Mp20JsonlReader.ParseLine(request.StructureJson, "campaign journal").Structure!;
            int distinct = structure.Composition.Elements.Count;
            double reward = Design.OnlineReward.Terminal(distinct, result?.BandGapEv, !ok, options.TargetGapEv, options.RewardBeta);
            TellLearner(new DftReward(request.Episode, reward));
            _scalars!.Write(State.Episodes, "dft/gap_ev", result?.BandGapEv ?? double.NaN);
            Log.Information("Campaign: DFT {Job} {Formula}: {Outcome} (predicted {Pred:F3} eV), reward {Reward:F3}",
                request.JobId, request.Formula, ok ? $"gap {result!.BandGapEv:F3} eV" : $"failed ({finishedEvent.FailureClass})", request.PredictedGapEv ?? double.NaN, reward);
            if (ok && options.RewardModel.FinetuneSteps > 0 && roles.FineTuner() is { } tuner)
            {
                _pendingFineTunes++;
                tuner.TryTell(new DftSample(request.JobId, request.StructureJson, result!.BandGapEv!.Value));
            }
        }
    }

    /// <summary>The learner's mailbox is small (it paces the generators): a message that does not fit waits for room.</summary>
    private void TellLearner(object message)
    {
        var learner = roles.Learner();
        if (learner is not null && !learner.TryTell(message)) _ = learner.TellAsync(message).AsTask();
    }

    private void Persist(params CampaignEvent[] events)
    {
        _db!.InTransaction(() => _campaign!.Persist(events.Select(CampaignJournal.Encode)));
    }

    private void StopGenerating()
    {
        if (!_generating) return;
        _generating = false;
        foreach (var g in roles.Generators()) g.TryTell(Roles.StopGenerating.Instance);
        roles.OfflineCql()?.TryTell(Roles.StopGenerating.Instance);
    }

    private void CheckStop()
    {
        if (finished.Task.IsCompleted) return;
        var s = State;
        var reason = options.Stop.Reason(s, _clock.Elapsed);
        if (reason is null) return;
        StopGenerating();
        // Wait for DFT in flight unless the wall time is up: results are never dropped, a later run would apply them.
        bool wallTime = options.WallTimeMinutes is { } w && _clock.Elapsed >= TimeSpan.FromMinutes(w);
        if (s.DftInFlight > 0 && !wallTime) return;
        // Let the last DFT results reach the reward model, within a grace period.
        _stopSeenAt ??= _clock.Elapsed;
        if (_pendingFineTunes > 0 && !wallTime && _clock.Elapsed - _stopSeenAt < FineTuneGrace) return;
        var report = CampaignReport.From(options.Name, s, reason, _clock.Elapsed.TotalSeconds, Path.Combine(runDirectory, "best"), _optimum);
        report.Write(runDirectory, s);
        if (s.Models.TryGetValue("policy", out var policy) && File.Exists(policy.Path))
            File.Copy(policy.Path, Path.Combine(runDirectory, "policy.safetensors"), overwrite: true); // Exp. 4 starts from it
        Log.Information("Campaign {Name} finished: {Reason}. Report: {Path}", options.Name, reason, Path.Combine(runDirectory, "report.json"));
        finished.TrySetResult(report);
    }

    private void Progress()
    {
        var s = State;
        double eps = _epsilon;
        Log.Information("Campaign {Name}: episode {Episodes}/{Max}, epsilon {Eps:F3}, mean reward (last 100) {Reward:F3}, DFT in flight {InFlight}, done {Done}, failed {Failed}, models {Models}",
            options.Name, s.Episodes, options.Episodes, eps, s.MeanRecentReward, s.DftInFlight, s.DftSucceeded, s.DftFailed,
            string.Join(" ", s.Models.Select(m => $"{m.Key}=v{m.Value.Version}")));
        _scalars!.Write(s.Episodes, "charts/mean_reward_last100", s.MeanRecentReward);
        _scalars.Write(s.Episodes, "charts/epsilon", eps);
        _scalars.Flush();
    }

    public Task StoppingAsync(IReadOnlyList<object> undelivered, ActorContext context)
    {
        _scalars?.Dispose();
        _jobs?.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>How the coordinator finds the other roles (they may restart, so looked up each time).</summary>
public sealed record CampaignRoles(
    Func<IReadOnlyList<ActorRef>> Generators, Func<ActorRef?> Learner, Func<ActorRef?> RewardModel,
    Func<ActorRef?> FineTuner, Func<ActorRef?> Relaxer, Func<ActorRef?> OfflineCql);

/// <summary>
/// The campaign's scalars, by tag (charts/episode_reward, dft/gap_ev, greedy/mean_reward, ...): long-form CSV
/// (wall_time, step, tag, value) for pandas, and TensorBoard event files under tensorboard/ for `tensorboard --logdir`.
/// Both append across restarts.
/// </summary>
public sealed class CampaignScalars : IDisposable
{
    private readonly StreamWriter _writer;
    private readonly CrystalActors.Learning.Offline.TensorBoardWriter _tensorboard;

    public CampaignScalars(string runDirectory)
    {
        Directory.CreateDirectory(runDirectory);
        var path = Path.Combine(runDirectory, "scalars.csv");
        bool exists = File.Exists(path);
        _writer = new StreamWriter(path, append: true) { AutoFlush = true };
        if (!exists) _writer.WriteLine("wall_time,step,tag,value");
        _tensorboard = new CrystalActors.Learning.Offline.TensorBoardWriter(Path.Combine(runDirectory, "tensorboard"));
    }

    public void Write(long step, string tag, double value)
    {
        _writer.WriteLine(FormattableString.Invariant($"{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0:F3},{step},{tag},{value:G8}"));
        if (double.IsFinite(value)) _tensorboard.AddScalar(tag, value, step);
    }

    /// <summary>Flushes the TensorBoard file (called every progress tick: a killed node loses at most that much).</summary>
    public void Flush() => _tensorboard.Flush();

    public void Dispose()
    {
        _writer.Dispose();
        _tensorboard.Dispose();
    }
}
