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
            ".cif" => ReadCif(path, onBadRecord),
            _ => throw new ArgumentException($"unsupported data file '{path}': expected .jsonl(.gz), .json, .csv(.gz), .cif, .vasp/.poscar or a POSCAR/CONTCAR file"),
        };
    }

    private static IEnumerable<Mp20Record> ReadPoscar(string path)
    {
        using var reader = DataFile.OpenText(path);
        var s = Poscar.Parse(reader.ReadToEnd(), path);
        string stem = Path.GetFileNameWithoutExtension(path.EndsWith(".gz") ? path[..^3] : path);
        return [new Mp20Record { Index = 0, Line = 1, MaterialId = stem, Lattice = s.Lattice, Species = s.Species, Structure = s.WithId(stem), PrettyFormula = s.Composition.ReducedFormula }];
    }

    /// <summary>One record per data block; a malformed block is a bad record (the others are read), a file whose CIF
    /// syntax breaks is a file-level fault.</summary>
    private static IEnumerable<Mp20Record> ReadCif(string path, Action<CrystalFormatException>? onBadRecord)
    {
        using var reader = DataFile.OpenText(path);
        int withSites = 0;
        var structures = CifReader.ParseBlocks(reader.ReadToEnd(), path, onBadRecord, n => withSites = n);
        if (withSites == 0) throw new CrystalFormatException(path, 1, "no data_ block with atom sites found");
        string stem = Path.GetFileNameWithoutExtension(path.EndsWith(".gz") ? path[..^3] : path);
        return structures.Select(b => new Mp20Record
        {
            Index = b.Ordinal,
            Line = b.Line,
            MaterialId = b.Structure.Id ?? (withSites == 1 ? stem : $"{stem}#{b.Ordinal}"),
            Lattice = b.Structure.Lattice,
            Species = b.Structure.Species,
            Structure = b.Structure,
            PrettyFormula = b.Structure.Composition.ReducedFormula,
        }).ToList();
    }
}
