using System.IO.Compression;
using System.Text.Json;
using CrystalActors.Crystals.Graphs;

namespace CrystalActors.Crystals.Tests;

/// <summary>
/// Locates ../shared (env var CRYSTAL_ACTORS_SHARED, else the first ancestor of the test assembly directory
/// that has a <c>shared/</c> folder) and loads the MP-20 val rows and pymatgen's CrystalNN reference once.
/// </summary>
internal static class CrystalNNTestData
{
    public const string ReferenceRelativePath = "reference/crystalnn/crystalnn_val_sample.jsonl.gz";
    public const string ValRelativePath = "data/mp20/mp20_val.jsonl.gz";

    public static string SharedDirectory => s_shared.Value;

    private static readonly Lazy<string> s_shared = new(() => SharedPaths.RequireShared("reference"));

    /// <summary>A crystal as MP-20 gives it: lattice rows and fractional coordinates, unwrapped.</summary>
    public sealed record Crystal(int Index, string MaterialId, double[,] Lattice, double[][] Frac, int SpaceGroup);

    /// <summary>pymatgen's output for one crystal.</summary>
    public sealed record Reference(int Index, string MaterialId, HashSet<PeriodicEdge> Edges, IReadOnlyList<ReferenceSite> Sites);

    public sealed record ReferenceSite(int Site, int Cn, IReadOnlyList<ReferenceFace> Voronoi, IReadOnlyList<(int J, double Distance)> Neighbors);

    public sealed record ReferenceFace(int J, int A, int B, int C, double SolidAngle, double WNorm, double Distance);

    public static IReadOnlyList<Crystal> Val => s_val.Value;
    public static IReadOnlyList<Reference> References => s_references.Value;

    private static readonly Lazy<IReadOnlyList<Crystal>> s_val = new(() =>
        ReadLines(Path.Combine(SharedDirectory, ValRelativePath)).Select(ParseCrystal).ToList());

    private static readonly Lazy<IReadOnlyList<Reference>> s_references = new(() =>
        ReadLines(Path.Combine(SharedDirectory, ReferenceRelativePath)).Select(ParseReference).ToList());

    /// <summary>The reference's comparison rule: canonical (i ≤ j, self-images flipped), (i, i, 0) dropped.</summary>
    public static HashSet<PeriodicEdge> Normalise(IEnumerable<(int I, int J, int A, int B, int C)> edges)
    {
        var set = new HashSet<PeriodicEdge>();
        foreach (var (i, j, a, b, c) in edges)
        {
            if (i == j && a == 0 && b == 0 && c == 0) continue;
            set.Add(PeriodicEdge.Canonical(i, j, a, b, c));
        }
        return set;
    }

    private static Crystal ParseCrystal(string line)
    {
        using var doc = JsonDocument.Parse(line);
        var r = doc.RootElement;
        var lattice = new double[3, 3];
        int row = 0;
        foreach (var vector in r.GetProperty("lattice").EnumerateArray())
        {
            int col = 0;
            foreach (var x in vector.EnumerateArray()) lattice[row, col++] = x.GetDouble();
            row++;
        }
        var frac = r.GetProperty("frac_coords").EnumerateArray()
            .Select(f => f.EnumerateArray().Select(x => x.GetDouble()).ToArray()).ToArray();
        return new Crystal(r.GetProperty("index").GetInt32(), r.GetProperty("material_id").GetString()!, lattice, frac,
            r.GetProperty("spacegroup_number_symprec0.1").GetInt32());
    }

    private static Reference ParseReference(string line)
    {
        using var doc = JsonDocument.Parse(line);
        var r = doc.RootElement;
        var edges = Normalise(r.GetProperty("edges").EnumerateArray().Select(e =>
        {
            var image = e[2];
            return (e[0].GetInt32(), e[1].GetInt32(), image[0].GetInt32(), image[1].GetInt32(), image[2].GetInt32());
        }));
        var sites = r.GetProperty("sites").EnumerateArray().Select(s => new ReferenceSite(
            s.GetProperty("i").GetInt32(),
            s.GetProperty("cn").GetInt32(),
            s.GetProperty("voronoi").EnumerateArray().Select(f =>
            {
                var image = f.GetProperty("image");
                return new ReferenceFace(f.GetProperty("j").GetInt32(), image[0].GetInt32(), image[1].GetInt32(),
                    image[2].GetInt32(), f.GetProperty("solid_angle").GetDouble(), f.GetProperty("w_norm").GetDouble(),
                    f.GetProperty("dist").GetDouble());
            }).ToList(),
            s.GetProperty("neighbors").EnumerateArray()
                .Select(n => (n.GetProperty("j").GetInt32(), n.GetProperty("distance").GetDouble())).ToList())).ToList();
        return new Reference(r.GetProperty("index").GetInt32(), r.GetProperty("material_id").GetString()!, edges, sites);
    }

    private static IEnumerable<string> ReadLines(string path)
    {
        using var stream = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
            if (line.Length > 0)
                yield return line;
    }
}
