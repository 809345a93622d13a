using CrystalActors.Crystals;
using CrystalActors.Crystals.Io;
using CrystalActors.Crystals.Matching;
using CrystalActors.Crystals.Thermo;
using CrystalActors.Models.M3gnet;
using CrystalActors.Models.Megnet;
using CrystalActors.Models.Reward;
using CrystalActors.Torch;
using Serilog;

namespace CrystalActors.Learning.Rewards;

/// <summary>Where the reward components' models and reference data come from (the campaign's <c>reward</c> block).</summary>
public sealed record RewardSetup
{
    /// <summary>Crystals with coordinates that novelty and the diversity terms compare against (MP-20 val: train has no coordinates here).</summary>
    public string Reference { get; init; } = "../../shared/data/mp20/mp20_val.jsonl.gz";
    /// <summary>Files whose formation energies build the convex hull (MP-20 train and val).</summary>
    public IReadOnlyList<string> HullData { get; init; } =
        ["../../shared/data/mp20/mp20_train_nocoords.jsonl.gz", "../../shared/data/mp20/mp20_val.jsonl.gz"];
    /// <summary>Elemental chemical potentials that put M3GNet energies on the hull's scale (<c>reward hull-fit</c>); null = the shipped file.</summary>
    public string? ChemicalPotentials { get; init; }
    /// <summary>The M3GNet potential whose energies the μ were fitted to (MP-2021).</summary>
    public string EnergyWeights { get; init; } = "../../shared/reference/m3gnet/M3GNet-MP-2021.2.8-PES.safetensors";
    /// <summary>The energy term's structure: false = M3GNet single point of the design as filled (default, fast); true =
    /// relaxed first with M3GNet + FIRE (cell included, at most <see cref="EnergyRelaxSteps"/> steps, fmax 0.1 eV/Å).</summary>
    public bool EnergyRelax { get; init; }
    public int EnergyRelaxSteps { get; init; } = 100;
    /// <summary>Reference crystals embedded for the diversity terms (a seeded sample; the MMD's reference term costs n²).</summary>
    public int ReferenceSample { get; init; } = 2000;
    public ulong Seed { get; init; } = 0;
}

/// <summary>One batch scored: totals, the weighted parts, and the raw inputs (gaps, hull energies, creativity).</summary>
public sealed record RewardScores(double[] Total, IReadOnlyDictionary<string, double[]> Components, RewardBatch Inputs);

/// <summary>
/// Fills a <see cref="RewardBatch"/> with what the configured components need and evaluates them: band gaps from the
/// reward model (the live, fine-tuned one, passed per call), creativity against the reference set (structure matcher +
/// AMD fallback), energies above the hull (M3GNet single points, μ-shifted onto MP-20's formation-energy hull), and
/// MEGNet embeddings for the diversity terms from a frozen copy of the initial reward model (so diversity does not
/// drift as the reward model is fine-tuned), standardised per feature on the reference sample. Expensive pieces load
/// only when a component asks for them.
/// </summary>
public sealed class RewardScorer : IDisposable
{
    private readonly CompositeReward _reward;
    private readonly Fidelity _fidelity;
    private readonly CreativityReward? _creativity;
    private readonly HullEnergyReward? _hull;
    private readonly M3gnetPotential? _potential;
    private readonly Models.Relaxation.FireRelaxer? _relaxer;
    private readonly BandGapModel? _embedder;
    private readonly MmdReference? _structureReference, _compositionReference;
    private readonly FeatureScaler? _structureScaler, _compositionScaler;

    public CompositeReward Reward => _reward;

    /// <summary>The reference sample the diversity terms compare against (structure and composition embeddings).</summary>
    public MmdReference? StructureReference => _structureReference;
    public MmdReference? CompositionReference => _compositionReference;

    public RewardScorer(CompositeReward reward, RewardSetup setup, string embedderWeights, Fidelity fidelity = Fidelity.Pbe, Device? device = null)
    {
        _reward = reward;
        _fidelity = fidelity;
        var needs = reward.Requires;
        List<Structure>? reference = null;
        List<Structure> Reference() => reference ??= ReadReference(setup.Reference);
        if (needs.Contains(RewardInput.Creativity))
        {
            _creativity = new CreativityReward(new NoveltyIndex(Reference()));
            Log.Information("Reward: creativity against {Count} reference crystals ({File})", Reference().Count, setup.Reference);
        }
        if (needs.Contains(RewardInput.EnergyAboveHull))
        {
            var mu = ChemicalPotentials.Load(setup.ChemicalPotentials ?? ChemicalPotentials.FindShipped());
            _potential = M3gnetPotential.Load(setup.EnergyWeights, device: device);
            _hull = new HullEnergyReward(_potential, HullReference.FromFiles(setup.HullData, mu));
            if (setup.EnergyRelax)
                _relaxer = new Models.Relaxation.FireRelaxer(_potential, new Models.Relaxation.RelaxOptions { Fmax = 0.1, MaxSteps = setup.EnergyRelaxSteps });
        }
        if (needs.Contains(RewardInput.StructureFeatures) || needs.Contains(RewardInput.CompositionFeatures))
        {
            _embedder = BandGapModel.Load(embedderWeights, device);
            var rng = new Random((int)(setup.Seed % int.MaxValue));
            var sample = Reference().OrderBy(_ => rng.Next()).Take(setup.ReferenceSample).ToList();
            var (s, c) = _embedder.Embed(sample, fidelity);
            _structureScaler = new FeatureScaler(s);
            _compositionScaler = new FeatureScaler(c);
            _structureReference = new MmdReference(_structureScaler.Transform(s));
            _compositionReference = new MmdReference(_compositionScaler.Transform(c));
            Log.Information("Reward: diversity against {Count} embedded reference crystals", sample.Count);
        }
    }

    public static List<Structure> ReadReference(string path) =>
        Mp20JsonlReader.Read(path, bad => Log.Warning("{Error}", bad.Message)).Where(r => r.Structure is not null).Select(r => r.Structure!).ToList();

    /// <param name="gapModel">The reward model that predicts gaps (needed when a target_gap term is configured).</param>
    public RewardScores Score(IReadOnlyList<Structure> structures, BandGapModel? gapModel)
    {
        var needs = _reward.Requires;
        var batch = new RewardBatch(structures);
        if (needs.Contains(RewardInput.Gap))
        {
            var model = gapModel ?? throw new InvalidOperationException("a target_gap term needs a reward model");
            batch = batch with { GapsEv = model.Predict(structures, _fidelity).GapsEv.Select(g => (double?)g).ToArray() };
        }
        if (_creativity is not null)
        {
            var c = _creativity.Compute(structures);
            batch = batch with { Creativity = c.Rewards.ToArray(), Unique = c.IsUnique.ToArray(), Novel = c.IsNovel.ToArray() };
        }
        if (_hull is not null)
            batch = batch with { EnergyAboveHullEv = _relaxer is null
                ? _hull.Evaluate(structures).Select(r => r.Failed ? (double?)null : r.EAboveHull).ToArray()
                : RelaxedEnergiesAboveHull(structures) };
        if (_embedder is not null)
        {
            var (s, c) = _embedder.Embed(structures, _fidelity);
            batch = batch with
            {
                StructureFeatures = _structureScaler!.Transform(s), CompositionFeatures = _compositionScaler!.Transform(c),
                ReferenceStructureFeatures = _structureReference, ReferenceCompositionFeatures = _compositionReference,
            };
        }
        var (total, parts) = _reward.Evaluate(batch);
        return new RewardScores(total, parts, batch);
    }

    /// <summary>E above hull at the FIRE minimum of each design (null where the relaxation diverged or an element has no μ).</summary>
    private double?[] RelaxedEnergiesAboveHull(IReadOnlyList<Structure> structures)
    {
        var results = _relaxer!.Relax(structures);
        return results.Select((r, i) =>
        {
            if (r.IsDiverged || !double.IsFinite(r.FinalEnergyPerAtom)) return (double?)null;
            try { return _hull!.Reference.EnergyAboveHull(structures[i], r.FinalEnergyPerAtom); }
            catch (ArgumentException) { return null; }
        }).ToArray();
    }

    public void Dispose()
    {
        _potential?.Dispose();
        _embedder?.Dispose();
    }
}
