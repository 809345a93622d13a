using System.Buffers.Binary;
using CrystalActors.Crystals;
using CrystalActors.Crystals.Graphs;
using CrystalActors.Crystals.Io;
using Serilog;

namespace CrystalActors.Learning.Offline;

/// <summary>
/// Offline trajectories of crystal-design, kept as flat arrays: every crystal's skeleton (lattice, fractional
/// coordinates, space group, directed CrystalNN edges with their feature exp(−d²/2)), its true element per site (the
/// behaviour policy's actions) and up to five breadth-first fill orders. An episode is (crystal, order); step t of an
/// episode fills site order[t] with its true element, so transitions are never materialised: a minibatch is
/// assembled from these arrays (see <see cref="TransitionBatchBuilder"/>).
/// </summary>
/// <remarks>
/// Binary form (little endian, <see cref="Save"/>/<see cref="Load"/>): magic "CATRAJ02", then each array as an int32
/// length followed by its elements, in the order of the fields below; ids as UTF-8 strings. The builder is
/// deterministic (crystals in file order, orders from <see cref="Skeleton.BreadthFirstOrders"/>).
/// </remarks>
public sealed class TrajectoryDataset
{
    /// <summary>Largest number of sites per crystal (MP-20); the focus index <see cref="MaxSites"/> means "no site left".</summary>
    public const int MaxSites = 20;
    /// <summary>Focus value of a terminal state (all sites filled).</summary>
    public const int NoFocus = MaxSites;
    /// <summary>Number of raw global values per crystal: a, b, c (Å), α, β, γ (degrees), space-group number.</summary>
    public const int GlobalCount = 7;
    private const string Magic = "CATRAJ02";

    public string[] Ids { get; private init; } = Array.Empty<string>();
    /// <summary>Site s of crystal c is entry SiteOffset[c] + s of the per-site arrays.</summary>
    public int[] SiteOffset { get; private init; } = { 0 };
    /// <summary>True action index (0..87) per site.</summary>
    public byte[] SiteAction { get; private init; } = Array.Empty<byte>();
    /// <summary>Fractional coordinates, 3 per site, as given in the source file.</summary>
    public double[] FracCoords { get; private init; } = Array.Empty<double>();
    /// <summary>Directed edge k of crystal c is entry EdgeOffset[c] + k of the per-edge arrays.</summary>
    public int[] EdgeOffset { get; private init; } = { 0 };
    public byte[] EdgeSrc { get; private init; } = Array.Empty<byte>();
    public byte[] EdgeDst { get; private init; } = Array.Empty<byte>();
    /// <summary>Bond length d in Å per directed edge.</summary>
    public float[] EdgeDistance { get; private init; } = Array.Empty<float>();
    /// <summary>Lattice matrix rows (Å), 9 per crystal.</summary>
    public double[] LatticeRows { get; private init; } = Array.Empty<double>();
    /// <summary><see cref="GlobalCount"/> raw globals per crystal.</summary>
    public float[] Globals { get; private init; } = Array.Empty<float>();
    public float[] BandGap { get; private init; } = Array.Empty<float>();
    public float[] FormationEnergyPerAtom { get; private init; } = Array.Empty<float>();
    /// <summary>DFT total energy in eV, NaN when unknown.</summary>
    public float[] TotalEnergy { get; private init; } = Array.Empty<float>();
    /// <summary>Orders of crystal c: OrderCount[c] orders of NumSites(c) site indices each, from OrderOffset[c].</summary>
    public int[] OrderOffset { get; private init; } = Array.Empty<int>();
    public byte[] OrderCount { get; private init; } = Array.Empty<byte>();
    public byte[] Orders { get; private init; } = Array.Empty<byte>();

    // Derived on construction: episode and transition tables, and the edge feature exp(-d^2/2).
    public int[] EpisodeCrystal { get; private set; } = Array.Empty<int>();
    public int[] EpisodeOrderStart { get; private set; } = Array.Empty<int>();
    public int[] TransitionEpisode { get; private set; } = Array.Empty<int>();
    public byte[] TransitionStep { get; private set; } = Array.Empty<byte>();
    public float[] EdgeFeature { get; private set; } = Array.Empty<float>();

    public int CrystalCount => Ids.Length;
    public int EpisodeCount => EpisodeCrystal.Length;
    public int TransitionCount => TransitionEpisode.Length;
    public int NumSites(int crystal) => SiteOffset[crystal + 1] - SiteOffset[crystal];
    public int NumEdges(int crystal) => EdgeOffset[crystal + 1] - EdgeOffset[crystal];
    public ReadOnlySpan<byte> Actions(int crystal) => SiteAction.AsSpan(SiteOffset[crystal], NumSites(crystal));
    public ReadOnlySpan<byte> Order(int episode) => Orders.AsSpan(EpisodeOrderStart[episode], NumSites(EpisodeCrystal[episode]));

    /// <summary>The first breadth-first order of a crystal (the order generation uses).</summary>
    public ReadOnlySpan<byte> FirstOrder(int crystal) => Orders.AsSpan(OrderOffset[crystal], NumSites(crystal));

    public Lattice LatticeOf(int crystal)
    {
        var r = LatticeRows.AsSpan(9 * crystal, 9);
        return new Lattice(new[] { new[] { r[0], r[1], r[2] }, new[] { r[3], r[4], r[5] }, new[] { r[6], r[7], r[8] } });
    }

    public IReadOnlyList<Vec3> FracCoordsOf(int crystal)
    {
        int n = NumSites(crystal), o = SiteOffset[crystal];
        var list = new Vec3[n];
        for (int s = 0; s < n; s++) list[s] = new Vec3(FracCoords[3 * (o + s)], FracCoords[3 * (o + s) + 1], FracCoords[3 * (o + s) + 2]);
        return list;
    }

    /// <summary>The crystal with the given species per site (e.g. generated), on this crystal's lattice and sites.</summary>
    public Structure StructureWith(int crystal, IReadOnlyList<Element> species) =>
        Structure.FromSpecies(LatticeOf(crystal), species, FracCoordsOf(crystal), Ids[crystal]);

    public Element[] TrueSpecies(int crystal)
    {
        var a = Actions(crystal);
        var e = new Element[a.Length];
        for (int s = 0; s < a.Length; s++) e[s] = ActionVocabulary.ElementAt(a[s]);
        return e;
    }

    private void Derive()
    {
        var epC = new List<int>();
        var epStart = new List<int>();
        for (int c = 0; c < CrystalCount; c++)
            for (int o = 0; o < OrderCount[c]; o++)
            {
                epC.Add(c);
                epStart.Add(OrderOffset[c] + o * NumSites(c));
            }
        EpisodeCrystal = epC.ToArray();
        EpisodeOrderStart = epStart.ToArray();
        var trE = new List<int>();
        var trT = new List<byte>();
        for (int e = 0; e < EpisodeCrystal.Length; e++)
            for (int t = 0; t < NumSites(EpisodeCrystal[e]); t++)
            {
                trE.Add(e);
                trT.Add((byte)t);
            }
        TransitionEpisode = trE.ToArray();
        TransitionStep = trT.ToArray();
        EdgeFeature = new float[EdgeDistance.Length];
        for (int k = 0; k < EdgeDistance.Length; k++)
            EdgeFeature[k] = (float)Math.Exp(-0.5 * EdgeDistance[k] * (double)EdgeDistance[k]);
    }

    // ------------------------------------------------------------------ building

    /// <summary>Why a record was left out of the dataset.</summary>
    public sealed record Skipped(string MaterialId, string Reason);

    /// <summary>
    /// Builds skeletons and episodes for every usable record (coordinates present, at most <see cref="MaxSites"/>
    /// sites, every element in the 88-action vocabulary, a band gap and formation energy). Records are processed in
    /// parallel but kept in input order, so the result does not depend on the thread count.
    /// </summary>
    public static TrajectoryDataset Build(IReadOnlyList<Mp20Record> records, int maxOrders = Skeleton.DefaultOrderCount, List<Skipped>? skipped = null)
    {
        if (maxOrders is < 1 or > 255) throw new ArgumentOutOfRangeException(nameof(maxOrders), maxOrders, "orders per crystal must be in 1..255");
        var built = new (Skeleton? Skeleton, string? Reason)[records.Count];
        Parallel.For(0, records.Count, i => built[i] = TrySkeleton(records[i]));

        var ids = new List<string>();
        var siteOffset = new List<int> { 0 };
        var siteAction = new List<byte>();
        var frac = new List<double>();
        var edgeOffset = new List<int> { 0 };
        var edgeSrc = new List<byte>();
        var edgeDst = new List<byte>();
        var edgeDist = new List<float>();
        var lattice = new List<double>();
        var globals = new List<float>();
        var gap = new List<float>();
        var eform = new List<float>();
        var etot = new List<float>();
        var orderOffset = new List<int>();
        var orderCount = new List<byte>();
        var orders = new List<byte>();
        for (int i = 0; i < records.Count; i++)
        {
            var r = records[i];
            var (sk, reason) = built[i];
            if (sk is null)
            {
                skipped?.Add(new Skipped(r.MaterialId, reason!));
                continue;
            }
            var st = r.Structure!;
            ids.Add(r.MaterialId);
            foreach (var e in r.Species) siteAction.Add((byte)ActionVocabulary.ActionIndexOf(e));
            foreach (var f in st.FracCoords) { frac.Add(f.X); frac.Add(f.Y); frac.Add(f.Z); }
            siteOffset.Add(siteAction.Count);
            var cart = st.CartesianCoords;
            foreach (var e in sk.Edges)
            {
                var shifted = st.Lattice.GetCartesianCoords(st.FracCoords[e.J] + new Vec3(e.A, e.B, e.C));
                float d = (float)(shifted - cart[e.I]).Length;
                // Both directions of every bond, as the bidirected DGL graph of the reference.
                edgeSrc.Add((byte)e.I); edgeDst.Add((byte)e.J); edgeDist.Add(d);
                edgeSrc.Add((byte)e.J); edgeDst.Add((byte)e.I); edgeDist.Add(d);
            }
            edgeOffset.Add(edgeSrc.Count);
            for (int a = 0; a < 3; a++) { var row = st.Lattice.Matrix.Row(a); lattice.Add(row.X); lattice.Add(row.Y); lattice.Add(row.Z); }
            var p = st.Lattice.Parameters;
            globals.AddRange(new[] { (float)p.A, (float)p.B, (float)p.C, (float)p.Alpha, (float)p.Beta, (float)p.Gamma, (float)sk.SpaceGroupNumber });
            gap.Add((float)r.BandGap!.Value);
            eform.Add((float)r.FormationEnergyPerAtom!.Value);
            etot.Add(float.NaN);
            orderOffset.Add(orders.Count);
            var bfs = sk.BreadthFirstOrders(maxOrders);
            orderCount.Add((byte)bfs.Count);
            foreach (var order in bfs) foreach (int s in order) orders.Add((byte)s);
        }
        var ds = new TrajectoryDataset
        {
            Ids = ids.ToArray(), SiteOffset = siteOffset.ToArray(), SiteAction = siteAction.ToArray(), FracCoords = frac.ToArray(),
            EdgeOffset = edgeOffset.ToArray(), EdgeSrc = edgeSrc.ToArray(), EdgeDst = edgeDst.ToArray(), EdgeDistance = edgeDist.ToArray(),
            LatticeRows = lattice.ToArray(), Globals = globals.ToArray(), BandGap = gap.ToArray(), FormationEnergyPerAtom = eform.ToArray(),
            TotalEnergy = etot.ToArray(), OrderOffset = orderOffset.ToArray(), OrderCount = orderCount.ToArray(), Orders = orders.ToArray(),
        };
        ds.Derive();
        return ds;
    }

    /// <summary>
    /// Trajectories of designs that DFT computed (a running campaign's results): each crystal filled in its own
    /// breadth-first orders, labelled with its DFT band gap. No formation energy is known (NaN): the caller gives
    /// their terminal rewards (<see cref="OfflineTrainer.AddTrajectories"/>). The space group is the design's own
    /// (spglib, symprec 0.1, as MP-20's column).
    /// </summary>
    public static TrajectoryDataset BuildDftLabelled(IReadOnlyList<(string Id, Structure Structure, double GapEv)> crystals,
        int maxOrders = Skeleton.DefaultOrderCount, List<Skipped>? skipped = null) =>
        Build(crystals.Select((c, i) => new Mp20Record
        {
            Index = i, MaterialId = c.Id, Lattice = c.Structure.Lattice, Species = c.Structure.Species, Structure = c.Structure,
            BandGap = c.GapEv, FormationEnergyPerAtom = double.NaN,
            SpacegroupNumber = Crystals.Symmetry.SpaceGroupAnalyzer.GetSpaceGroupNumber(c.Structure),
        }).ToList(), maxOrders, skipped);

    private static (Skeleton?, string?) TrySkeleton(Mp20Record r)
    {
        if (r.Structure is null) return (null, "no fractional coordinates");
        if (r.NumAtoms > MaxSites) return (null, $"{r.NumAtoms} sites (more than {MaxSites})");
        foreach (var e in r.Species)
            if (!ActionVocabulary.TryGetActionIndex(e, out _)) return (null, $"element {e.Symbol} is not in the 88-action vocabulary");
        if (r.BandGap is null || r.FormationEnergyPerAtom is null) return (null, "no band gap or formation energy");
        if (r.SpacegroupNumber is not int sg) return (null, "no space-group number");
        try
        {
            return (Skeleton.FromStructure(r.Structure, sg), null);
        }
        catch (ArgumentException ex)
        {
            return (null, "skeleton failed: " + ex.Message);
        }
    }

    /// <summary>A dataset of the crystals whose index satisfies <paramref name="keep"/>, in the same order.</summary>
    public TrajectoryDataset Subset(Func<int, bool> keep) =>
        Gather(Enumerable.Range(0, CrystalCount).Where(keep).Select(c => (this, c)).ToList());

    /// <summary>This dataset's crystals followed by <paramref name="more"/>'s (e.g. DFT-labelled designs of a running campaign).</summary>
    public TrajectoryDataset Concat(TrajectoryDataset more) =>
        Gather(Enumerable.Range(0, CrystalCount).Select(c => (this, c)).Concat(Enumerable.Range(0, more.CrystalCount).Select(c => (more, c))).ToList());

    /// <summary>A dataset of the given crystals of one or more datasets, in the order given.</summary>
    private static TrajectoryDataset Gather(IReadOnlyList<(TrajectoryDataset D, int C)> pick)
    {
        var siteOffset = new List<int> { 0 };
        var edgeOffset = new List<int> { 0 };
        var orderOffset = new List<int>();
        var siteAction = new List<byte>(); var frac = new List<double>();
        var es = new List<byte>(); var ed = new List<byte>(); var dist = new List<float>();
        var orders = new List<byte>();
        foreach (var (d, c) in pick)
        {
            int n = d.NumSites(c);
            siteAction.AddRange(d.Actions(c).ToArray());
            frac.AddRange(d.FracCoords.AsSpan(3 * d.SiteOffset[c], 3 * n).ToArray());
            siteOffset.Add(siteAction.Count);
            es.AddRange(d.EdgeSrc.AsSpan(d.EdgeOffset[c], d.NumEdges(c)).ToArray());
            ed.AddRange(d.EdgeDst.AsSpan(d.EdgeOffset[c], d.NumEdges(c)).ToArray());
            dist.AddRange(d.EdgeDistance.AsSpan(d.EdgeOffset[c], d.NumEdges(c)).ToArray());
            edgeOffset.Add(es.Count);
            orderOffset.Add(orders.Count);
            orders.AddRange(d.Orders.AsSpan(d.OrderOffset[c], d.OrderCount[c] * n).ToArray());
        }
        var ds = new TrajectoryDataset
        {
            Ids = pick.Select(p => p.D.Ids[p.C]).ToArray(), SiteOffset = siteOffset.ToArray(), SiteAction = siteAction.ToArray(), FracCoords = frac.ToArray(),
            EdgeOffset = edgeOffset.ToArray(), EdgeSrc = es.ToArray(), EdgeDst = ed.ToArray(), EdgeDistance = dist.ToArray(),
            LatticeRows = pick.SelectMany(p => p.D.LatticeRows.AsSpan(9 * p.C, 9).ToArray()).ToArray(),
            Globals = pick.SelectMany(p => p.D.Globals.AsSpan(GlobalCount * p.C, GlobalCount).ToArray()).ToArray(),
            BandGap = pick.Select(p => p.D.BandGap[p.C]).ToArray(), FormationEnergyPerAtom = pick.Select(p => p.D.FormationEnergyPerAtom[p.C]).ToArray(),
            TotalEnergy = pick.Select(p => p.D.TotalEnergy[p.C]).ToArray(), OrderOffset = orderOffset.ToArray(),
            OrderCount = pick.Select(p => p.D.OrderCount[p.C]).ToArray(), Orders = orders.ToArray(),
        };
        ds.Derive();
        return ds;
    }

    /// <summary>Non-metals only: MP band gap &gt; 0 (the paper's training set).</summary>
    public TrajectoryDataset NonMetals() => Subset(c => BandGap[c] > 0);

    /// <summary>The crystals of one part of the fixed split (see <see cref="DatasetSplit"/>).</summary>
    public TrajectoryDataset Part(DatasetPart part) => Subset(c => DatasetSplit.PartOf(Ids[c]) == part);

    /// <summary>
    /// Random crystals with MP-20-like statistics for benchmarks and tests: 8-20 sites (mean 14 per crystal; a
    /// uniformly sampled transition sees E[n²]/E[n] = 15 sites, since larger crystals have more steps) and
    /// <paramref name="directedEdgesPerSite"/> directed edges per site (default 110/15: ~110 per sampled state, the
    /// benchmark statistic of the issue), random elements, a cubic 5 Å cell and random fill orders. Deterministic.
    /// </summary>
    /// <param name="minSites">Smallest crystal (default 8).</param>
    /// <param name="maxSites">Largest crystal (default 20 = <see cref="MaxSites"/>).</param>
    public static TrajectoryDataset Synthetic(int crystals, ulong seed, double directedEdgesPerSite = 110.0 / 15, int ordersPerCrystal = Skeleton.DefaultOrderCount,
        int minSites = 8, int maxSites = MaxSites)
    {
        if (minSites < 1 || maxSites > MaxSites || minSites > maxSites)
            throw new ArgumentOutOfRangeException(nameof(minSites), $"site range {minSites}..{maxSites} must lie in 1..{MaxSites}");
        var rng = new SplitMix64(seed);
        var siteOffset = new List<int> { 0 }; var edgeOffset = new List<int> { 0 }; var orderOffset = new List<int>();
        var act = new List<byte>(); var frac = new List<double>(); var es = new List<byte>(); var ed = new List<byte>(); var dist = new List<float>();
        var orders = new List<byte>();
        for (int c = 0; c < crystals; c++)
        {
            int n = minSites + rng.NextInt(maxSites - minSites + 1);
            for (int s = 0; s < n; s++)
            {
                act.Add((byte)rng.NextInt(ActionVocabulary.Count));
                frac.Add(rng.NextDouble()); frac.Add(rng.NextDouble()); frac.Add(rng.NextDouble());
            }
            siteOffset.Add(act.Count);
            int undirected = (int)Math.Round(n * directedEdgesPerSite / 2);
            for (int k = 0; k < undirected; k++)
            {
                byte i = (byte)rng.NextInt(n), j = (byte)rng.NextInt(n);
                float d = (float)(1.8 + 1.5 * rng.NextDouble());
                es.Add(i); ed.Add(j); dist.Add(d);
                es.Add(j); ed.Add(i); dist.Add(d);
            }
            edgeOffset.Add(es.Count);
            orderOffset.Add(orders.Count);
            for (int o = 0; o < ordersPerCrystal; o++)
            {
                var perm = Enumerable.Range(0, n).Select(x => (byte)x).ToArray();
                for (int k = n - 1; k > 0; k--) { int r = rng.NextInt(k + 1); (perm[k], perm[r]) = (perm[r], perm[k]); }
                orders.AddRange(perm);
            }
        }
        var ds = new TrajectoryDataset
        {
            Ids = Enumerable.Range(0, crystals).Select(c => $"synthetic-{c}").ToArray(), SiteOffset = siteOffset.ToArray(), SiteAction = act.ToArray(),
            FracCoords = frac.ToArray(), EdgeOffset = edgeOffset.ToArray(), EdgeSrc = es.ToArray(), EdgeDst = ed.ToArray(), EdgeDistance = dist.ToArray(),
            LatticeRows = Enumerable.Range(0, crystals).SelectMany(_ => new double[] { 5, 0, 0, 0, 5, 0, 0, 0, 5 }).ToArray(),
            Globals = Enumerable.Range(0, crystals).SelectMany(_ => new float[] { 5, 5, 5, 90, 90, 90, 221 }).ToArray(),
            BandGap = Enumerable.Range(0, crystals).Select(_ => (float)(3 * rng.NextDouble())).ToArray(),
            FormationEnergyPerAtom = Enumerable.Range(0, crystals).Select(_ => (float)(-3 * rng.NextDouble())).ToArray(),
            TotalEnergy = Enumerable.Repeat(float.NaN, crystals).ToArray(), OrderOffset = orderOffset.ToArray(),
            OrderCount = Enumerable.Repeat((byte)ordersPerCrystal, crystals).ToArray(), Orders = orders.ToArray(),
        };
        ds.Derive();
        return ds;
    }

    // ------------------------------------------------------------------ binary form

    public void Save(string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        AtomicFile.Write(path, stream =>
        {
            using var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
            w.Write(System.Text.Encoding.ASCII.GetBytes(Magic));
            w.Write(Ids.Length);
            foreach (var id in Ids) w.Write(id);
            Put(w, SiteOffset); Put(w, SiteAction); Put(w, FracCoords); Put(w, EdgeOffset); Put(w, EdgeSrc); Put(w, EdgeDst);
            Put(w, EdgeDistance); Put(w, LatticeRows); Put(w, Globals); Put(w, BandGap); Put(w, FormationEnergyPerAtom); Put(w, TotalEnergy);
            Put(w, OrderOffset); Put(w, OrderCount); Put(w, Orders);
        });
    }

    /// <exception cref="InvalidDataException">not a trajectory file of this version, or truncated (names the file).</exception>
    public static TrajectoryDataset Load(string path)
    {
        try
        {
            using var r = new BinaryReader(File.OpenRead(path));
            var magic = System.Text.Encoding.ASCII.GetString(r.ReadBytes(Magic.Length));
            if (magic != Magic) throw new InvalidDataException($"{path}: not a trajectory dataset (magic '{magic}', expected '{Magic}')");
            int n = r.ReadInt32();
            var ids = new string[n];
            for (int i = 0; i < n; i++) ids[i] = r.ReadString();
            var ds = new TrajectoryDataset
            {
                Ids = ids, SiteOffset = Get<int>(r), SiteAction = Get<byte>(r), FracCoords = Get<double>(r), EdgeOffset = Get<int>(r),
                EdgeSrc = Get<byte>(r), EdgeDst = Get<byte>(r), EdgeDistance = Get<float>(r), LatticeRows = Get<double>(r),
                Globals = Get<float>(r), BandGap = Get<float>(r), FormationEnergyPerAtom = Get<float>(r), TotalEnergy = Get<float>(r),
                OrderOffset = Get<int>(r), OrderCount = Get<byte>(r), Orders = Get<byte>(r),
            };
            if (ds.SiteOffset.Length != n + 1 || ds.EdgeOffset.Length != n + 1 || ds.OrderCount.Length != n)
                throw new InvalidDataException($"{path}: inconsistent array lengths for {n} crystals");
            ds.Derive();
            return ds;
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{path}: truncated trajectory dataset", e);
        }
    }

    private static void Put<T>(BinaryWriter w, T[] a) where T : unmanaged
    {
        w.Write(a.Length);
        w.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(a.AsSpan()));
    }

    private static T[] Get<T>(BinaryReader r) where T : unmanaged
    {
        int n = r.ReadInt32();
        var a = new T[n];
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(a.AsSpan());
        if (r.Read(bytes) != bytes.Length) throw new EndOfStreamException();
        return a;
    }

    /// <summary>
    /// The dataset of an MP-20-form JSONL file, built once and cached under <paramref name="cacheDir"/> by the SHA-256
    /// of the file's bytes (so an edited file is rebuilt, and the same file is never rebuilt).
    /// </summary>
    public static TrajectoryDataset LoadOrBuild(string jsonlPath, string? cacheDir = null, int maxOrders = Skeleton.DefaultOrderCount)
    {
        if (!File.Exists(jsonlPath)) throw new FileNotFoundException($"MP-20 data file not found: {jsonlPath}", jsonlPath);
        cacheDir ??= DefaultCacheDir();
        string hash = DataFile.Sha256(jsonlPath)[..16];
        var cache = Path.Combine(cacheDir, $"trajectories-{hash}-o{maxOrders}.bin");
        if (File.Exists(cache))
        {
            Log.Information("Loading trajectory dataset {Cache} (from {Data})", cache, jsonlPath);
            return Load(cache);
        }
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var records = Mp20JsonlReader.Read(jsonlPath).ToList();
        var skipped = new List<Skipped>();
        var ds = Build(records, maxOrders, skipped);
        foreach (var g in skipped.GroupBy(s => s.Reason.Split(' ')[0]).OrderByDescending(g => g.Count()))
            Log.Information("Skipped {Count} records ({Example}: {Reason})", g.Count(), g.First().MaterialId, g.First().Reason);
        Log.Information("Built {Crystals} crystals, {Episodes} episodes, {Transitions} transitions from {Data} in {Seconds:F1} s -> {Cache}",
            ds.CrystalCount, ds.EpisodeCount, ds.TransitionCount, jsonlPath, sw.Elapsed.TotalSeconds, cache);
        ds.Save(cache);
        return ds;
    }

    public static string DefaultCacheDir() =>
        Environment.GetEnvironmentVariable("CRYSTAL_ACTORS_CACHE")
        ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "crystal-actors");
}

