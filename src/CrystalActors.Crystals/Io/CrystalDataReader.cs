namespace CrystalActors.Crystals.Io;

/// <summary>Reads crystals from any supported data file, choosing the format by name:
/// *.jsonl, *.jsonl.gz, *.json (MP-20 JSONL), *.csv, *.csv.gz (CSV with a CIF column), *.cif (one record per data block),
/// *.vasp / *.poscar or a file named POSCAR / CONTCAR (VASP 5 format, one record).</summary>
public static class CrystalDataReader
{
    public static IEnumerable<Mp20Record> ReadRecords(string path, Action<CrystalFormatException>? onBadRecord = null)
    {
        string name = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? path[..^3] : path;
        string ext = Path.GetExtension(name).ToLowerInvariant();
        string file = Path.GetFileName(name);
        if (ext is ".vasp" or ".poscar" || file.StartsWith("POSCAR", StringComparison.Ordinal) || file.StartsWith("CONTCAR", StringComparison.Ordinal))
            return ReadPoscar(path);
        return ext switch
        {
            ".jsonl" or ".json" => Mp20JsonlReader.Read(path, onBadRecord),
            ".csv" => Mp20CsvReader.Read(path, onBadRecord),
            ".cif" => ReadCif(path),
            _ => throw new ArgumentException($"unsupported data file '{path}': expected .jsonl(.gz), .json, .csv(.gz), .cif, .vasp/.poscar or a POSCAR/CONTCAR file"),
        };
    }

    private static IEnumerable<Mp20Record> ReadPoscar(string path)
    {
        using var reader = DataFile.OpenText(path);
        var s = Poscar.Parse(reader.ReadToEnd(), path);
        string stem = Path.GetFileNameWithoutExtension(path.EndsWith(".gz") ? path[..^3] : path);
        return [new Mp20Record { Index = 0, MaterialId = stem, Lattice = s.Lattice, Species = s.Species, Structure = s.WithId(stem), PrettyFormula = s.Composition.ReducedFormula }];
    }

    private static IEnumerable<Mp20Record> ReadCif(string path)
    {
        using var reader = DataFile.OpenText(path);
        var structures = CifReader.ParseAll(reader.ReadToEnd(), path);
        if (structures.Count == 0) throw new CrystalFormatException(path, 1, "no data_ block with atom sites found");
        string stem = Path.GetFileNameWithoutExtension(path.EndsWith(".gz") ? path[..^3] : path);
        return structures.Select((s, i) => new Mp20Record
        {
            Index = i,
            MaterialId = s.Id ?? (structures.Count == 1 ? stem : $"{stem}#{i}"),
            Lattice = s.Lattice,
            Species = s.Species,
            Structure = s,
            PrettyFormula = s.Composition.ReducedFormula,
        }).ToList();
    }
}
