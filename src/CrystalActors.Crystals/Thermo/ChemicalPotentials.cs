using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using CrystalActors.Crystals.Io;

namespace CrystalActors.Crystals.Thermo;

/// <summary>
/// Per-element chemical potentials μ (eV/atom) that put a potential's total energies on a data set's formation-energy
/// scale: E_form ≈ E/atom − Σ_el x_el μ_el(context), x = atom fractions. Fitted by <see cref="ChemicalPotentialFit"/>;
/// saved as a small JSON file (see <see cref="Save"/> for the format) with the fit's metadata.
/// <para>Context: Materials Project runs GGA+U (and a U correction) for Co, Cr, Fe, Mn, Mo, Ni, V and W in
/// compounds with O or F, plain GGA otherwise, so a potential trained on MP's raw energies puts such an atom on a
/// scale several eV away. With <see cref="GgaUContext"/> those elements have a second μ, used when the composition
/// contains O or F (<see cref="UsesGgaU"/>); otherwise every element has one μ.</para>
/// </summary>
public sealed class ChemicalPotentials
{
    public const string Format = "crystal-actors/chemical-potentials";
    public const int FormatVersion = 1;

    /// <summary>The elements MP treats with GGA+U in oxides and fluorides (pymatgen MPRelaxSet / MP2020 compatibility).</summary>
    public static readonly IReadOnlySet<Element> UElements = new HashSet<Element>(new[] { "Co", "Cr", "Fe", "Mn", "Mo", "Ni", "V", "W" }.Select(Element.FromSymbol));
    /// <summary>The anions that switch MP to GGA+U.</summary>
    public static readonly IReadOnlySet<Element> UAnions = new HashSet<Element>(new[] { "O", "F" }.Select(Element.FromSymbol));

    private readonly Dictionary<Element, double> _mu;
    private readonly Dictionary<Element, double> _muGgaU;

    public ChemicalPotentials(IReadOnlyDictionary<Element, double> mu, IReadOnlyDictionary<Element, double>? muGgaU = null, ChemicalPotentialMetadata? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(mu);
        foreach (var (e, v) in mu.Concat(muGgaU ?? new Dictionary<Element, double>()))
            if (!double.IsFinite(v)) throw new ArgumentException($"chemical potential of {e.Symbol} is not finite ({v})", nameof(mu));
        if (muGgaU is not null && muGgaU.Keys.FirstOrDefault(e => !UElements.Contains(e)) is { } bad)
            throw new ArgumentException($"{bad.Symbol} has a GGA+U chemical potential but is not a GGA+U element ({string.Join(" ", UElements.Select(e => e.Symbol))})", nameof(muGgaU));
        _mu = new Dictionary<Element, double>(mu);
        _muGgaU = muGgaU is null ? [] : new Dictionary<Element, double>(muGgaU);
        Metadata = metadata ?? new ChemicalPotentialMetadata();
    }

    /// <summary>μ per element (eV/atom), used outside the GGA+U context.</summary>
    public IReadOnlyDictionary<Element, double> Mu => _mu;
    /// <summary>μ of the GGA+U elements in compounds with O or F (eV/atom); empty without <see cref="GgaUContext"/>.</summary>
    public IReadOnlyDictionary<Element, double> MuGgaU => _muGgaU;
    public bool GgaUContext => _muGgaU.Count > 0;
    public ChemicalPotentialMetadata Metadata { get; }

    /// <summary>True when MP would have run this element of this composition with GGA+U.</summary>
    public static bool UsesGgaU(Composition composition, Element element) =>
        UElements.Contains(element) && HasUAnion(composition);

    private static bool HasUAnion(Composition composition)
    {
        foreach (var (e, _) in composition.Counts) if (UAnions.Contains(e)) return true;
        return false;
    }

    /// <summary>μ of one element of <paramref name="composition"/> (eV/atom).</summary>
    /// <exception cref="ArgumentException">no μ was fitted for the element (in this context), named.</exception>
    public double MuOf(Composition composition, Element element)
    {
        ArgumentNullException.ThrowIfNull(composition);
        return MuOf(composition, element, GgaUContext && HasUAnion(composition));
    }

    private double MuOf(Composition composition, Element element, bool ggaUCompound)
    {
        if (ggaUCompound && UElements.Contains(element))
            return _muGgaU.TryGetValue(element, out var u) ? u
                : throw new ArgumentException($"{composition.ReducedFormula}: no GGA+U chemical potential for {element.Symbol} (no {element.Symbol} oxide or fluoride in the fit data)", nameof(composition));
        return _mu.TryGetValue(element, out var m) ? m
            : throw new ArgumentException($"{composition.ReducedFormula}: no chemical potential for {element.Symbol} (the fit data had none; {_mu.Count} elements fitted)", nameof(composition));
    }

    /// <summary>Σ_el x_el μ_el (eV/atom): the reference energy subtracted from a total energy per atom.</summary>
    public double ReferenceEnergyPerAtom(Composition composition)
    {
        ArgumentNullException.ThrowIfNull(composition);
        double n = composition.NumAtoms, sum = 0;
        bool ggaU = GgaUContext && HasUAnion(composition);
        foreach (var (e, count) in composition.Counts) sum += count / n * MuOf(composition, e, ggaU);
        return sum;
    }

    /// <summary>E/atom − Σ x μ: the formation energy per atom on the fit's scale (eV/atom).</summary>
    public double FormationEnergyPerAtom(Composition composition, double energyPerAtom) =>
        energyPerAtom - ReferenceEnergyPerAtom(composition);

    // --- file --------------------------------------------------------------------------------------------------------

    private static readonly JsonWriterOptions WriterOptions = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// Writes the JSON file (whole, atomically): <c>format</c>, <c>format_version</c>, <c>mu_eV_per_atom</c>
    /// (symbol → μ, by Z), <c>mu_gga_u_eV_per_atom</c> (same, for the GGA+U context; may be empty),
    /// <c>gga_u_elements</c>, <c>gga_u_anions</c> and <c>metadata</c> (see <see cref="ChemicalPotentialMetadata"/>).
    /// </summary>
    public void Save(string path) => AtomicFile.Write(path, stream =>
    {
        using var w = new Utf8JsonWriter(stream, WriterOptions);
        w.WriteStartObject();
        w.WriteString("format", Format);
        w.WriteNumber("format_version", FormatVersion);
        WriteMap(w, "mu_eV_per_atom", _mu);
        WriteMap(w, "mu_gga_u_eV_per_atom", _muGgaU);
        w.WriteStartArray("gga_u_elements");
        foreach (var e in UElements.OrderBy(e => e.Z)) w.WriteStringValue(e.Symbol);
        w.WriteEndArray();
        w.WriteStartArray("gga_u_anions");
        foreach (var e in UAnions.OrderBy(e => e.Z)) w.WriteStringValue(e.Symbol);
        w.WriteEndArray();
        w.WritePropertyName("metadata");
        Metadata.Write(w);
        w.WriteEndObject();
        w.Flush();
        stream.WriteByte((byte)'\n');
    });

    /// <summary>Reads a file written by <see cref="Save"/>.</summary>
    /// <exception cref="InvalidDataException">not this format, an unsupported version, an unknown element symbol or a
    /// non-finite μ (the message names the file and the key).</exception>
    public static ChemicalPotentials Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"chemical-potential file '{path}' not found", path);
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            var root = doc.RootElement;
            if (!root.TryGetProperty("format", out var f) || f.GetString() != Format)
                throw new InvalidDataException($"{path}: not a chemical-potential file (format must be '{Format}')");
            int version = root.GetProperty("format_version").GetInt32();
            if (version != FormatVersion) throw new InvalidDataException($"{path}: format_version {version} is not supported (this code reads {FormatVersion})");
            var mu = ReadMap(root.GetProperty("mu_eV_per_atom"), path, "mu_eV_per_atom");
            var muU = root.TryGetProperty("mu_gga_u_eV_per_atom", out var u) ? ReadMap(u, path, "mu_gga_u_eV_per_atom") : [];
            var meta = root.TryGetProperty("metadata", out var m) ? ChemicalPotentialMetadata.Read(m) : new ChemicalPotentialMetadata();
            return new ChemicalPotentials(mu, muU, meta);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>Where the shipped fit lives, relative to the repository root.</summary>
    public const string ShippedRelativePath = "models/hull/m3gnet-mp2021-mu.json";

    /// <summary>The shipped M3GNet (MP-2021) fit: <see cref="ShippedRelativePath"/> under the working directory, the
    /// application directory or one of their ancestors.</summary>
    /// <exception cref="FileNotFoundException">not found; the message says where it looked.</exception>
    public static string FindShipped()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
            {
                string candidate = Path.Combine(d.FullName, ShippedRelativePath);
                if (File.Exists(candidate)) return candidate;
            }
        throw new FileNotFoundException($"{ShippedRelativePath} not found above {Directory.GetCurrentDirectory()} or {AppContext.BaseDirectory}; " +
                                        "run from the repository or give the file's path");
    }

    private static void WriteMap(Utf8JsonWriter w, string name, Dictionary<Element, double> map)
    {
        w.WriteStartObject(name);
        foreach (var (e, v) in map.OrderBy(kv => kv.Key.Z)) w.WriteNumber(e.Symbol, Math.Round(v, 6));
        w.WriteEndObject();
    }

    private static Dictionary<Element, double> ReadMap(JsonElement obj, string path, string name)
    {
        var map = new Dictionary<Element, double>();
        foreach (var p in obj.EnumerateObject())
        {
            if (!Element.TryFromSymbol(p.Name, out var e)) throw new InvalidDataException($"{path}: {name}: unknown element '{p.Name}'");
            if (p.Value.ValueKind != JsonValueKind.Number || !double.IsFinite(p.Value.GetDouble()))
                throw new InvalidDataException($"{path}: {name}.{p.Name} is not a finite number ({p.Value.GetRawText()})");
            map[e] = p.Value.GetDouble();
        }
        return map;
    }
}

/// <summary>
/// What a μ fit was made from and how well it did: the energy model, the data file and its SHA-256, the split, the
/// sample counts, the ridge strength, MAE and RMSE (eV/atom) on the fitted and the held-out crystals, the code version
/// and samples per element. Every field is optional on reading (older or hand-made files).
/// </summary>
public sealed record ChemicalPotentialMetadata
{
    public string? EnergyModel { get; init; }
    public string? Target { get; init; }
    public string? Data { get; init; }
    public string? DataSha256 { get; init; }
    public string? Split { get; init; }
    public int NTrain { get; init; }
    public int NHeldOut { get; init; }
    public double Ridge { get; init; }
    public FitErrors? Train { get; init; }
    public FitErrors? HeldOut { get; init; }
    /// <summary>Fit method and assembly version (with the git commit when the build recorded one).</summary>
    public string? CodeVersion { get; init; }
    /// <summary>Training crystals that contain each element (for GGA+U elements, key "Fe+U" counts the O/F compounds).</summary>
    public IReadOnlyDictionary<string, int>? SamplesPerElement { get; init; }

    internal void Write(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        Str("energy_model", EnergyModel);
        Str("target", Target);
        Str("data", Data);
        Str("data_sha256", DataSha256);
        Str("split", Split);
        w.WriteNumber("n_train", NTrain);
        w.WriteNumber("n_heldout", NHeldOut);
        w.WriteNumber("ridge", Ridge);
        if (Train is { } t) { w.WritePropertyName("train"); t.Write(w); }
        if (HeldOut is { } h) { w.WritePropertyName("heldout"); h.Write(w); }
        Str("code_version", CodeVersion);
        if (SamplesPerElement is { } spe)
        {
            w.WriteStartObject("samples_per_element");
            foreach (var (k, v) in spe) w.WriteNumber(k, v);
            w.WriteEndObject();
        }
        w.WriteEndObject();

        void Str(string name, string? value)
        {
            if (value is not null) w.WriteString(name, value);
        }
    }

    internal static ChemicalPotentialMetadata Read(JsonElement m)
    {
        string? S(string n) => m.TryGetProperty(n, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        int I(string n) => m.TryGetProperty(n, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : 0;
        return new ChemicalPotentialMetadata
        {
            EnergyModel = S("energy_model"),
            Target = S("target"),
            Data = S("data"),
            DataSha256 = S("data_sha256"),
            Split = S("split"),
            NTrain = I("n_train"),
            NHeldOut = I("n_heldout"),
            Ridge = m.TryGetProperty("ridge", out var r) && r.ValueKind == JsonValueKind.Number ? r.GetDouble() : 0,
            Train = m.TryGetProperty("train", out var t) ? FitErrors.Read(t) : null,
            HeldOut = m.TryGetProperty("heldout", out var h) ? FitErrors.Read(h) : null,
            CodeVersion = S("code_version"),
            SamplesPerElement = m.TryGetProperty("samples_per_element", out var s) && s.ValueKind == JsonValueKind.Object
                ? s.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32()) : null,
        };
    }
}

/// <summary>Errors of E/atom − Σ x μ against the target formation energies (eV/atom) over <see cref="N"/> crystals;
/// <see cref="Skipped"/> crystals had an element without a μ.</summary>
public sealed record FitErrors(int N, double Mae, double Rmse, double MaxAbs, int Skipped = 0)
{
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"n {N}: MAE {Mae:F4} eV/atom, RMSE {Rmse:F4} eV/atom, max |error| {MaxAbs:F3} eV/atom{(Skipped > 0 ? $", {Skipped} skipped" : "")}");

    internal void Write(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteNumber("n", N);
        w.WriteNumber("mae_eV_per_atom", Math.Round(Mae, 6));
        w.WriteNumber("rmse_eV_per_atom", Math.Round(Rmse, 6));
        w.WriteNumber("max_abs_eV_per_atom", Math.Round(MaxAbs, 6));
        w.WriteNumber("skipped", Skipped);
        w.WriteEndObject();
    }

    internal static FitErrors Read(JsonElement e) => new(
        e.GetProperty("n").GetInt32(), e.GetProperty("mae_eV_per_atom").GetDouble(), e.GetProperty("rmse_eV_per_atom").GetDouble(),
        e.TryGetProperty("max_abs_eV_per_atom", out var m) ? m.GetDouble() : double.NaN,
        e.TryGetProperty("skipped", out var s) ? s.GetInt32() : 0);
}
