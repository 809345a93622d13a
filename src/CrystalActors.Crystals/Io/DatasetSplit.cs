namespace CrystalActors.Crystals.Io;

public enum DatasetPart { Train, HeldOut }

/// <summary>
/// The one fixed train / held-out split of a crystal pool, used by offline RL (training vs evaluation skeletons) and by
/// reward-model fine-tuning alike, so "held-out" means the same crystals everywhere: a crystal is held out when the
/// FNV-1a 64-bit hash of its material id is divisible by 5 (about 20 %). Hashing the id (not the line number) keeps
/// the split stable under re-ordering and filtering, across files and runs, and needs no seed.
/// </summary>
public static class DatasetSplit
{
    public const int HeldOutModulus = 5;

    public static DatasetPart PartOf(string materialId) =>
        Fnv1a64(materialId) % HeldOutModulus == 0 ? DatasetPart.HeldOut : DatasetPart.Train;

    public static bool IsHeldOut(string materialId) => PartOf(materialId) == DatasetPart.HeldOut;

    /// <summary>Filters records by split name: "all", "train" or "heldout".</summary>
    public static IEnumerable<Mp20Record> Select(IEnumerable<Mp20Record> records, string split) => split.ToLowerInvariant() switch
    {
        "all" => records,
        "train" => records.Where(r => !IsHeldOut(r.MaterialId)),
        "heldout" or "held-out" => records.Where(r => IsHeldOut(r.MaterialId)),
        _ => throw new ArgumentException($"unknown split '{split}'; valid: all, train, heldout"),
    };

    public static ulong Fnv1a64(string s)
    {
        ulong h = 14695981039346656037UL;
        foreach (byte b in System.Text.Encoding.UTF8.GetBytes(s))
        {
            h ^= b;
            h *= 1099511628211UL;
        }
        return h;
    }
}
