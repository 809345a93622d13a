using System.Text.Json;
using CrystalActors.Crystals;

namespace CrystalActors.Models.Tests;

/// <summary>Access to ../shared/reference/m3gnet (matgl's outputs) for the graph, M3GNet and relaxation tests.</summary>
public static class M3gnetTestData
{
    public const string MpWeights = "M3GNet-MP-2021.2.8-PES";
    public const string MatPesWeights = "M3GNet-MatPES-PBE-v2025.1-PES";

    private static readonly Lazy<string> Shared = new(FindShared);
    private static readonly Lazy<JsonDocument> Reference = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(M3gnetDir, "m3gnet_reference.json"))));

    /// <summary>The shared/ folder: $CRYSTAL_ACTORS_SHARED, or the first ancestor of the test assembly holding shared/.</summary>
    public static string SharedDir => Shared.Value;
    public static string M3gnetDir => Path.Combine(SharedDir, "reference", "m3gnet");
    public static string WeightsPath(string model) => Path.Combine(M3gnetDir, model + ".safetensors");
    public static JsonElement Root => Reference.Value.RootElement;

    /// <summary>Every single-structure reference case: the 8 fixed structures and the 20 val crystals.</summary>
    public static IEnumerable<(string Name, JsonElement Case)> AllCases()
    {
        foreach (var group in new[] { "fixed", "val20" })
            foreach (var p in Root.GetProperty(group).EnumerateObject())
                yield return (p.Name, p.Value);
    }

    public static JsonElement Case(string name) =>
        Root.GetProperty("fixed").TryGetProperty(name, out var c) ? c : Root.GetProperty("val20").GetProperty(name);

    public static IEnumerable<object[]> CaseNames() => AllCases().Select(c => new object[] { c.Name });

    public static Structure ParseStructure(JsonElement s)
    {
        var lattice = new Lattice(Mat3.FromRows(s.GetProperty("lattice").EnumerateArray()
            .Select(r => (IReadOnlyList<double>)r.EnumerateArray().Select(x => x.GetDouble()).ToArray()).ToArray()));
        var species = s.GetProperty("species").EnumerateArray().Select(x => Element.FromSymbol(x.GetString()!)).ToArray();
        var frac = s.GetProperty("frac_coords").EnumerateArray()
            .Select(r => { var a = r.EnumerateArray().Select(x => x.GetDouble()).ToArray(); return new Vec3(a[0], a[1], a[2]); }).ToArray();
        return Structure.FromSpecies(lattice, species, frac);
    }

    public static double[] Flat(JsonElement nested) =>
        nested.ValueKind == JsonValueKind.Array
            ? nested.EnumerateArray().SelectMany(x => x.ValueKind == JsonValueKind.Array ? Flat(x) : [x.GetDouble()]).ToArray()
            : [nested.GetDouble()];

    private static string FindShared() => SharedPaths.RequireShared(Path.Combine("reference", "m3gnet"));
}
