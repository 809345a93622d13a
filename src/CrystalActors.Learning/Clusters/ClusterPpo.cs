using CrystalActors.Crystals;
using CrystalActors.Learning.Environments.Clusters;
using CrystalActors.Models.Clusters;
using CrystalActors.Torch;
using CrystalActors.Torch.Optim;

namespace CrystalActors.Learning.Clusters;

/// <summary>PPO hyperparameters for the covariant actor-critic (defaults in brackets; MolGym-like).</summary>
public sealed record ClusterPpoOptions
{
    /// <summary>Episodes collected in parallel per iteration (one batched energy call per step) [16].</summary>
    public int EpisodesPerIteration { get; init; } = 16;
    /// <summary>Passes over each iteration's transitions [4].</summary>
    public int Epochs { get; init; } = 4;
    /// <summary>Transitions per gradient step [32].</summary>
    public int MinibatchSize { get; init; } = 32;
    public double LearningRate { get; init; } = 3e-4;
    public double Gamma { get; init; } = 0.99;
    /// <summary>GAE λ [0.95].</summary>
    public double Lambda { get; init; } = 0.95;
    /// <summary>PPO ratio clip ε [0.2].</summary>
    public double ClipEpsilon { get; init; } = 0.2;
    public double ValueCoef { get; init; } = 0.5;
    public double EntropyCoef { get; init; } = 0.01;
    public double MaxGradNorm { get; init; } = 0.5;
    public CovariantPolicyOptions Policy { get; init; } = new();
}

/// <summary>Per-iteration training metrics (the learning curve).</summary>
public sealed record PpoIterationStats(int Iteration, long Evaluations, double MeanReturn, double InvalidFraction, double MeanFinalEnergy,
    double BestEnergy, double PolicyLoss, double ValueLoss, double Entropy);

/// <summary>A finished episode whose placements were all valid: the final (unrelaxed) cluster and its energy.</summary>
public sealed record CompletedEpisode(int Iteration, Molecule Cluster, double Energy, double Return);

/// <summary>One placement: what the policy saw and did (with its log-probability and value then), and what it got.</summary>
public sealed record ClusterTransition(ClusterObservation Obs, ClusterAction Action, double Reward, bool Done);

/// <summary>A played episode: its placements, the canvas it ended with and that canvas's energy; <paramref name="Complete"/>
/// when every bag atom was placed (an invalid placement ends the episode early).</summary>
public sealed record ClusterEpisode(IReadOnlyList<ClusterTransition> Steps, Molecule Final, double FinalEnergy, bool Complete)
{
    public double Return => Steps.Sum(t => t.Reward);
}

/// <summary>
/// PPO (clipped surrogate, GAE, value and entropy terms) training <see cref="CovariantActorCritic"/> on the bag-and-canvas
/// environment, one file top to bottom: collect <see cref="ClusterPpoOptions.EpisodesPerIteration"/> episodes in
/// parallel, compute advantages, update for a few epochs, repeat until the energy-evaluation budget is spent.
/// Deterministic for a seed (libtorch's generator seeds the weights, a <see cref="Random"/> the sampling).
/// </summary>
public sealed class ClusterPpo : IDisposable
{
    private readonly Adam _optimizer;
    private readonly Random _rng;

    public ClusterPpo(ClusterPpoOptions options, PlacementRules rules, int seed)
    {
        Options = options;
        Torch.Torch.ManualSeed((ulong)seed);
        Policy = new CovariantActorCritic(options.Policy, rules);
        _optimizer = new Adam(Policy.Parameters(), lr: options.LearningRate);
        _rng = new Random(seed);
    }

    public ClusterPpoOptions Options { get; }
    public CovariantActorCritic Policy { get; }

    /// <summary>
    /// Trains until <paramref name="potential"/> has counted <paramref name="budget"/> evaluations (the seed and
    /// isolated-atom energies are computed once up front and count too). Calls <paramref name="onIteration"/> after each update.
    /// </summary>
    public IReadOnlyList<CompletedEpisode> Train(CountingPotential potential, Molecule seedCluster, IReadOnlyList<Element> bag,
        ClusterEnvironmentOptions envOptions, long budget, Action<PpoIterationStats>? onIteration = null)
    {
        var envs = Environments(potential, seedCluster, bag, envOptions, Options.EpisodesPerIteration);
        var completed = new List<CompletedEpisode>();
        double best = double.PositiveInfinity;
        for (int iter = 0; potential.Evaluations + bag.Count * (long)envs.Count <= budget; iter++)
        {
            var episodes = Collect(envs, Policy, Options.Policy, _rng);
            var finals = episodes.Where(e => e.Complete).ToList();
            foreach (var e in finals)
            {
                completed.Add(new CompletedEpisode(iter, e.Final, e.FinalEnergy, e.Return));
                best = Math.Min(best, e.FinalEnergy);
            }
            var (pl, vl, ent) = Update(episodes.Select(e => e.Steps).ToList());
            onIteration?.Invoke(new PpoIterationStats(iter, potential.Evaluations, episodes.Average(e => e.Return),
                episodes.Count(e => !e.Complete) / (double)envs.Count, finals.Count > 0 ? finals.Average(e => e.FinalEnergy) : double.NaN, best, pl, vl, ent));
        }
        return completed;
    }

    /// <summary><paramref name="count"/> environments sharing one seed and isolated-atom energy calculation.</summary>
    public static IReadOnlyList<ClusterEnvironment> Environments(IClusterPotential potential, Molecule seedCluster, IReadOnlyList<Element> bag,
        ClusterEnvironmentOptions envOptions, int count)
    {
        var first = new ClusterEnvironment(potential, seedCluster, bag, envOptions);
        var envs = new List<ClusterEnvironment> { first };
        for (int i = 1; i < count; i++)
            envs.Add(new ClusterEnvironment(potential, seedCluster, bag, envOptions, first.SeedEnergy, first.AtomEnergies));
        return envs;
    }

    /// <summary>
    /// One episode per environment, played side by side (one batched policy pass and one batched energy call per
    /// step). What a rollout generator runs; <see cref="Update"/> is what the learner runs on the result.
    /// </summary>
    public static IReadOnlyList<ClusterEpisode> Collect(IReadOnlyList<ClusterEnvironment> envs, CovariantActorCritic policy,
        CovariantPolicyOptions options, Random rng)
    {
        var steps = envs.Select(_ => new List<ClusterTransition>()).ToArray();
        foreach (var e in envs) e.Reset();
        while (envs.Any(e => !e.Done))
        {
            var active = Enumerable.Range(0, envs.Count).Where(i => !envs[i].Done).ToArray();
            var obs = active.Select(i => ClusterObservation.Build(envs[i].Canvas, envs[i].Bag.Count / (double)envs[i].InitialBag.Count, options)).ToArray();
            var acts = policy.Act(obs, rng);
            var results = ClusterEnvironment.StepAll(active.Select(i => envs[i]).ToArray(), acts.Select(a => a.Position).ToArray());
            for (int k = 0; k < active.Length; k++) steps[active[k]].Add(new ClusterTransition(obs[k], acts[k], results[k].Reward, results[k].Done));
        }
        return envs.Select((e, i) => new ClusterEpisode(steps[i], e.Canvas, e.CanvasEnergy,
            e.Canvas.NumAtoms == e.Seed.NumAtoms + e.InitialBag.Count)).ToArray();
    }

    /// <summary>
    /// The PPO update on finished episodes (GAE with a terminal bootstrap of 0, normalised advantages, clipped surrogate,
    /// value and entropy terms, <see cref="ClusterPpoOptions.Epochs"/> passes of minibatches). Returns the mean policy
    /// loss, value loss and entropy.
    /// </summary>
    public (double PolicyLoss, double ValueLoss, double Entropy) Update(IReadOnlyList<IReadOnlyList<ClusterTransition>> episodes)
    {
        // ---- advantages (GAE, terminal bootstrap 0) ----
        var batch = new List<(ClusterTransition T, double Adv, double Ret)>();
        foreach (var ep in episodes)
        {
            double gae = 0;
            var tmp = new (ClusterTransition, double, double)[ep.Count];
            for (int t = ep.Count - 1; t >= 0; t--)
            {
                double nextV = t + 1 < ep.Count && !ep[t].Done ? ep[t + 1].Action.Value : 0;
                double delta = ep[t].Reward + Options.Gamma * nextV - ep[t].Action.Value;
                gae = delta + Options.Gamma * Options.Lambda * (ep[t].Done ? 0 : gae);
                tmp[t] = (ep[t], gae, gae + ep[t].Action.Value);
            }
            batch.AddRange(tmp);
        }
        if (batch.Count == 0) return (0, 0, 0);
        double mean = batch.Average(b => b.Adv), std = Math.Sqrt(batch.Average(b => (b.Adv - mean) * (b.Adv - mean))) + 1e-8;

        // ---- PPO update ----
        double pl = 0, vl = 0, ent = 0;
        int nUpd = 0;
        for (int epoch = 0; epoch < Options.Epochs; epoch++)
        {
            var order = Enumerable.Range(0, batch.Count).OrderBy(_ => _rng.Next()).ToArray();
            for (int start = 0; start < order.Length; start += Options.MinibatchSize)
            {
                var mb = order.Skip(start).Take(Options.MinibatchSize).Select(i => batch[i]).ToArray();
                using var scope = DisposeScope.Open();
                var (logp, entropy, value) = Policy.Evaluate(mb.Select(m => m.T.Obs).ToArray(), mb.Select(m => m.T.Action).ToArray());
                var oldLogp = Tensor.From<double>(mb.Select(m => m.T.Action.LogProb).ToArray(), mb.Length).To(ScalarType.Float32);
                var adv = Tensor.From<double>(mb.Select(m => (m.Adv - mean) / std).ToArray(), mb.Length).To(ScalarType.Float32);
                var ret = Tensor.From<double>(mb.Select(m => m.Ret).ToArray(), mb.Length).To(ScalarType.Float32);
                var ratio = (logp - oldLogp).Exp();
                var surr = (ratio * adv).Minimum(ratio.Clamp(1 - Options.ClipEpsilon, 1 + Options.ClipEpsilon) * adv);
                var policyLoss = -surr.Mean();
                var valueLoss = value.MseLoss(ret);
                var entropyMean = entropy.Mean();
                var loss = policyLoss + Options.ValueCoef * valueLoss - Options.EntropyCoef * entropyMean;
                _optimizer.ZeroGrad();
                loss.Backward();
                GradClip.ClipGradNorm(Policy.Parameters(), Options.MaxGradNorm);
                _optimizer.Step();
                pl += policyLoss.Item(); vl += valueLoss.Item(); ent += entropyMean.Item();
                nUpd++;
            }
        }
        return (pl / nUpd, vl / nUpd, ent / nUpd);
    }

    public void Dispose()
    {
        _optimizer.Dispose();
        Policy.Dispose();
    }
}
