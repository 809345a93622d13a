using System.Text.Json;
using CrystalActors.Crystals;

namespace CrystalActors.Models.Tests.Megnet;

/// <summary>One crystal of megnet_bandgap_reference.json with matgl's float32 predictions per fidelity label.</summary>
public sealed record MegnetReferenceCrystal(string Key, int Index, string MaterialId, double MpBandGapEv, Structure Structure,
    IReadOnlyDictionary<string, double> Float32PredEv);

/// <summary>Locates ../shared (env CRYSTAL_ACTORS_SHARED, or a folder "shared" next to an ancestor of the test assembly)
/// and reads the MEGNet reference files once.</summary>
public static class MegnetTestData
{
    private static readonly Lazy<string> Shared = new(FindShared);
    private static readonly Lazy<IReadOnlyList<MegnetReferenceCrystal>> Reference = new(ReadReference);

    public static string SharedDir => Shared.Value;
    public static string WeightsPath => Path.Combine(SharedDir, "reference", "megnet", "MEGNet-MP-2019.4.1-BandGap-mfi.safetensors");
    public static string KeysPath => Path.Combine(SharedDir, "reference", "megnet", "MEGNet-MP-2019.4.1-BandGap-mfi.keys.txt");
    public static string ReferencePath => Path.Combine(SharedDir, "reference", "megnet", "megnet_bandgap_reference.json");

    /// <summary>The 20 + 200 reference crystals (val20 first, then val200).</summary>
    public static IReadOnlyList<MegnetReferenceCrystal> Crystals => Reference.Value;

    private static string FindShared() => SharedPaths.RequireShared("reference");

    private static IReadOnlyList<MegnetReferenceCrystal> ReadReference()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(ReferencePath));
        var list = new List<MegnetReferenceCrystal>();
        foreach (var group in new[] { "val20", "val200" })
        {
            foreach (var entry in doc.RootElement.GetProperty(group).EnumerateObject())
            {
                var c = entry.Value;
                var s = c.GetProperty("structure");
                var rows = s.GetProperty("lattice").EnumerateArray()
                    .Select(r => (IReadOnlyList<double>)r.EnumerateArray().Select(x => x.GetDouble()).ToArray()).ToArray();
                var species = s.GetProperty("species").EnumerateArray().Select(x => Element.FromSymbol(x.GetString()!)).ToArray();
                var frac = s.GetProperty("frac_coords").EnumerateArray()
                    .Select(r => { var a = r.EnumerateArray().Select(x => x.GetDouble()).ToArray(); return new Vec3(a[0], a[1], a[2]); }).ToArray();
                string id = c.GetProperty("material_id").GetString()!;
                var preds = c.GetProperty("float32").GetProperty("pred_eV").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());
                list.Add(new MegnetReferenceCrystal(entry.Name, c.GetProperty("index").GetInt32(), id,
                    c.GetProperty("mp_band_gap_eV").GetDouble(), Structure.FromSpecies(new Lattice(rows), species, frac, id), preds));
            }
        }
        return list;
    }
}
