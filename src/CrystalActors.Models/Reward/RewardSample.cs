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

/// <summary>
/// The fixed train / held-out split of a crystal pool used to measure fine-tuning: a crystal is held out when
/// FNV-1a-32(material_id) mod <see cref="Modulus"/> == 0 (20 %). It depends only on the id, so it is stable across
/// files, orderings and runs.
/// </summary>
public static class RewardDataSplit
{
    public const uint Modulus = 5;

    public static bool IsHeldOut(string materialId)
    {
        uint h = 2166136261;
        foreach (char c in materialId)
        {
            h ^= c;
            h *= 16777619;
        }
        return h % Modulus == 0;
    }

    /// <summary>Filters records by split name: "all", "train" (not held out) or "heldout".</summary>
    public static IEnumerable<Mp20Record> Select(IEnumerable<Mp20Record> records, string split) => split.ToLowerInvariant() switch
    {
        "all" => records,
        "train" => records.Where(r => !IsHeldOut(r.MaterialId)),
        "heldout" or "held-out" => records.Where(r => IsHeldOut(r.MaterialId)),
        _ => throw new ArgumentException($"unknown split '{split}'; valid: all, train, heldout"),
    };
}
