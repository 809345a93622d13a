using CrystalActors.Crystals;
using CrystalActors.Crystals.Io;

namespace CrystalActors.Models.Reward;

/// <summary>A crystal with a DFT band gap (eV), the unit the reward model is fine-tuned on.</summary>
public sealed record RewardSample(Structure Structure, double GapEv, string? Id = null)
{
    /// <summary>Samples from MP-20 records that have coordinates and a band gap; rows without either are skipped.</summary>
    public static List<RewardSample> FromRecords(IEnumerable<Mp20Record> records) =>
        records.Where(r => r.Structure is not null && r.BandGap is { } g && double.IsFinite(g))
               .Select(r => new RewardSample(r.Structure!, r.BandGap!.Value, r.MaterialId))
               .ToList();
}
