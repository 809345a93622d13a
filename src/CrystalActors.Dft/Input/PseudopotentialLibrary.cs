using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace CrystalActors.Dft.Input;

/// <summary>One element's pseudopotential: UPF file, SSSP recommended cutoffs (Ry) and valence charge.</summary>
public sealed record Pseudopotential(string Element, string FileName, double CutoffWfcRy, double CutoffRhoRy, double ValenceCharge);

/// <summary>
/// An SSSP-style library: a JSON file of per-element entries (filename, cutoff_wfc, cutoff_rho) next to a folder
/// of UPF files with the same name (SSSP_1.3.0_PBE_efficiency.json + SSSP_1.3.0_PBE_efficiency/). Valence
/// charges are read from the UPF headers, because pw.x counts electrons from them and so must we.
/// </summary>
public sealed partial class PseudopotentialLibrary
{
    public const string DefaultLibraryName = "SSSP_1.3.0_PBE_efficiency";

    private readonly Dictionary<string, (string File, double Wfc, double Rho)> _entries;
    private readonly Dictionary<string, Pseudopotential> _loaded = new(StringComparer.Ordinal);
    private readonly object _gate = new();

    private PseudopotentialLibrary(string upfDirectory, string jsonPath, Dictionary<string, (string, double, double)> entries)
    {
        UpfDirectory = upfDirectory;
        JsonPath = jsonPath;
        _entries = entries;
    }

    /// <summary>Absolute folder holding the UPF files (pw.x's pseudo_dir).</summary>
    public string UpfDirectory { get; }

    public string JsonPath { get; }

    public IReadOnlyCollection<string> Elements => _entries.Keys;

    /// <summary>Opens <c>{root}/{name}.json</c> and <c>{root}/{name}/</c>; throws naming the missing path.</summary>
    public static PseudopotentialLibrary Open(string root, string libraryName = DefaultLibraryName)
    {
        string jsonPath = Path.GetFullPath(Path.Combine(root, libraryName + ".json"));
        string upfDir = Path.GetFullPath(Path.Combine(root, libraryName));
        if (!File.Exists(jsonPath))
            throw new FileNotFoundException($"pseudopotential library index not found: {jsonPath}", jsonPath);
        if (!Directory.Exists(upfDir))
            throw new DirectoryNotFoundException($"pseudopotential folder not found: {upfDir}");
        var entries = new Dictionary<string, (string, double, double)>(StringComparer.Ordinal);
        using var doc = JsonDocument.Parse(File.ReadAllText(jsonPath));
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            try
            {
                entries[p.Name] = (p.Value.GetProperty("filename").GetString()!,
                    p.Value.GetProperty("cutoff_wfc").GetDouble(), p.Value.GetProperty("cutoff_rho").GetDouble());
            }
            catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException)
            {
                throw new FormatException($"{jsonPath}: entry '{p.Name}' lacks filename/cutoff_wfc/cutoff_rho", e);
            }
        }
        return new PseudopotentialLibrary(upfDir, jsonPath, entries);
    }

    /// <summary>The pseudopotential of <paramref name="element"/>; throws naming the element or the missing UPF file.</summary>
    public Pseudopotential Get(string element)
    {
        lock (_gate)
        {
            if (_loaded.TryGetValue(element, out var pp)) return pp;
            if (!_entries.TryGetValue(element, out var e))
                throw new KeyNotFoundException($"no pseudopotential for element '{element}' in {JsonPath}");
            string path = Path.Combine(UpfDirectory, e.File);
            if (!File.Exists(path))
                throw new FileNotFoundException($"pseudopotential file for {element} not found: {path}", path);
            pp = new Pseudopotential(element, e.File, e.Wfc, e.Rho, ReadValence(path));
            _loaded[element] = pp;
            return pp;
        }
    }

    /// <summary>Checks that every species has a readable UPF file before any run starts.</summary>
    public void EnsureAvailable(IEnumerable<string> elements)
    {
        foreach (var el in elements.Distinct()) Get(el);
    }

    /// <summary>Valence electrons of the cell (the number pw.x prints as 'number of electrons' at zero charge).</summary>
    public double ValenceElectrons(DftCell cell) => cell.Species.Sum(s => Get(s).ValenceCharge);

    /// <summary>Reads z_valence from a UPF v2 attribute or the UPF v1 'Z valence' header line.</summary>
    internal static double ReadValence(string upfPath)
    {
        using var reader = new StreamReader(upfPath);
        for (int n = 0; n < 400 && reader.ReadLine() is { } line; n++)
        {
            var m = V2Regex().Match(line);
            if (m.Success) return double.Parse(m.Groups[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture);
            m = V1Regex().Match(line);
            if (m.Success) return double.Parse(m.Groups[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture);
        }
        throw new FormatException($"{upfPath}: no z_valence / 'Z valence' in the header");
    }

    [GeneratedRegex(@"z_valence\s*=\s*""\s*([-+0-9.EeDd]+)\s*""", RegexOptions.IgnoreCase)]
    private static partial Regex V2Regex();

    [GeneratedRegex(@"^\s*([-+0-9.Ee]+)\s+Z valence", RegexOptions.IgnoreCase)]
    private static partial Regex V1Regex();
}
