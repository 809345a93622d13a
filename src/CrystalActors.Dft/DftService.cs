using CrystalActors.Crystals;
using CrystalActors.Dft.Caching;
using CrystalActors.Dft.Execution;
using CrystalActors.Dft.Handlers;
using CrystalActors.Dft.Input;
using CrystalActors.Dft.Parsing;
using Serilog;

namespace CrystalActors.Dft;

/// <summary>Configuration of <see cref="DftService"/>; every default documented on its property.</summary>
public sealed record DftServiceOptions
{
    /// <summary>Folder holding {LibraryName}.json and {LibraryName}/ (default: ../shared/pseudo, see <see cref="SharedPaths"/>).</summary>
    public string? PseudoRoot { get; init; }
    public string LibraryName { get; init; } = PseudopotentialLibrary.DefaultLibraryName;
    public PwRunnerOptions Runner { get; init; } = new();
    public PwHandlerOptions Handlers { get; init; } = new();
    /// <summary>Apply the error handlers (off: one attempt per job).</summary>
    public bool HandlersEnabled { get; init; } = true;
    /// <summary>Upper bound on attempts per job, the first included.</summary>
    public int MaxAttempts { get; init; } = 5;
    /// <summary>
    /// When set, each attempt's input, output, XML (and CRASH file, stderr) are kept there, gzip-compressed:
    /// {dir}/{label}/attempt-{n}.in.gz, .out.gz, .xml.gz — the provenance of every number a campaign reports.
    /// </summary>
    public string? ArchiveDirectory { get; init; }
}

/// <summary>
/// The DFT entry point: crystal + protocol -> <see cref="DftResult"/>. Looks the crystal up in the cache,
/// resolves the protocol, runs pw.x, classifies each failed attempt and applies the handlers' fix, up to a
/// bounded number of attempts. Free of actors and queues: a worker calls <see cref="RunAsync"/> and gets a value.
/// Safe to call concurrently (each attempt has its own working directory).
/// </summary>
public sealed class DftService
{
    private readonly PwRunner _runner;
    private readonly PwErrorHandlers _handlers;
    private readonly IDftResultCache _cache;

    /// <summary>Checks pw.x, mpirun and the pseudopotential library now: configuration errors surface before any job.</summary>
    public DftService(DftServiceOptions? options = null, IDftResultCache? cache = null)
    {
        Options = options ?? new DftServiceOptions();
        if (Options.MaxAttempts < 1) throw new ArgumentOutOfRangeException(nameof(options), Options.MaxAttempts, "MaxAttempts must be >= 1");
        string root = Options.PseudoRoot ?? SharedPaths.DefaultPseudoRoot()
                      ?? throw new DirectoryNotFoundException("pseudopotential root not given and no ../shared/pseudo found (set PseudoRoot or CRYSTAL_ACTORS_SHARED)");
        Pseudos = PseudopotentialLibrary.Open(root, Options.LibraryName);
        _runner = new PwRunner(Options.Runner);
        _handlers = new PwErrorHandlers(Options.Handlers);
        _cache = cache ?? new InMemoryDftResultCache();
    }

    public DftServiceOptions Options { get; }
    public PseudopotentialLibrary Pseudos { get; }
    public IDftResultCache Cache => _cache;

    /// <summary>Cache key: structure fingerprint, protocol hash and whether handlers may change the settings.</summary>
    public string CacheKey(DftCell cell, DftProtocol protocol) =>
        $"{StructureFingerprint.Compute(cell)}:{protocol.Hash}:{(Options.HandlersEnabled ? $"h{Options.MaxAttempts}" : "h0")}";

    /// <summary>
    /// Runs (or recalls) one crystal. Throws for configuration problems that concern this crystal before anything
    /// runs (an element without a pseudopotential); every pw.x failure is a result with a failure class instead.
    /// </summary>
    public async Task<DftResult> RunAsync(DftCell cell, DftProtocol protocol, string? label = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cell);
        ArgumentNullException.ThrowIfNull(protocol);
        string key = CacheKey(cell, protocol);
        string fingerprint = key[..key.IndexOf(':')];
        if (_cache.TryGet(key, out var cached))
        {
            Log.Information("DFT {Label} {Formula}: cache hit ({Key})", label, cell.Formula, key);
            return cached with { Label = label ?? cached.Label, CacheHit = true, WallSeconds = 0 };
        }

        Pseudos.EnsureAvailable(cell.Species);
        double nelec = Pseudos.ValenceElectrons(cell) - protocol.TotCharge;
        var parameters = protocol.Resolve(cell, Pseudos, out string? note);
        if (note is not null) Log.Information("DFT {Label}: {Note}", label, note);

        string name = label ?? cell.Formula;
        var attempts = new List<DftAttempt>();
        var fixes = new List<string>();
        PwOutput? lastOutput = null;
        PwDiagnosis? diagnosis = null;
        double wall = 0;
        int maxAttempts = Options.HandlersEnabled ? Options.MaxAttempts : 1;
        for (int n = 1; n <= maxAttempts; n++)
        {
            string input = PwInputWriter.Write(cell, parameters, Pseudos, new PwPaths("pwscf", "./out", Pseudos.UpfDirectory));
            var monitor = Options.Runner.Monitor is { } mo ? new ScfMonitor(parameters.ConvThr, parameters.ElectronMaxstep, mo) : null;
            var run = await _runner.RunAsync(input, $"{name}.{n}", monitor, cancellationToken).ConfigureAwait(false);
            wall += run.WallSeconds;
            lastOutput = PwOutputParser.Parse(run.OutputText, run.CrashFileText);
            diagnosis = PwErrorClassifier.Classify(lastOutput, cell, run.Termination, run.ExitCode, parameters, run.MonitorReason);
            if (diagnosis.Class == DftFailureClass.Unknown && run.StandardErrorText.Trim() is { Length: > 0 } err)
                diagnosis = diagnosis with { Detail = $"{diagnosis.Detail}; stderr: {(err.Length > 300 ? "..." + err[^300..] : err)}" };
            Archive(name, n, input, run);

            PwFix? fix = null;
            if (!diagnosis.IsSuccess && Options.HandlersEnabled && n < maxAttempts)
                fix = _handlers.Propose(diagnosis.Class, parameters, fixes, cell, nelec);
            attempts.Add(new DftAttempt
            {
                Number = n,
                Parameters = parameters,
                InputText = input,
                FailureClass = diagnosis.Class,
                Detail = diagnosis.Detail,
                FixApplied = fix?.Name,
                FixDescription = fix?.Description,
                WallSeconds = run.WallSeconds,
                ScfIterations = lastOutput.ScfIterations,
                TotalEnergyRy = lastOutput.TotalEnergyRy,
                ExitCode = run.ExitCode,
                OutputText = run.OutputText,
                CrashFileText = run.CrashFileText,
                StandardErrorText = run.StandardErrorText,
            });
            Log.Information("DFT {Label} {Formula} attempt {N}: {Class} ({Detail}) in {Wall:F1} s{Fix}",
                name, cell.Formula, n, diagnosis.Class, diagnosis.Detail, run.WallSeconds, fix is null ? "" : $"; next: {fix.Description}");
            if (diagnosis.IsSuccess || fix is null) break;
            fixes.Add(fix.Name);
            parameters = fix.Next;
        }

        var result = BuildResult(cell, protocol, label, fingerprint, nelec, note, attempts, lastOutput!, diagnosis!, wall);
        // Cancellation, wall-time kills, unexplained crashes and outputs that were not this input's depend on the
        // moment and the machine, not on the crystal.
        if (result.FailureClass is not (DftFailureClass.Cancelled or DftFailureClass.WallTimeExceeded or DftFailureClass.Unknown
            or DftFailureClass.OutputMismatch))
            _cache.Put(key, result);
        return result;
    }

    private static DftResult BuildResult(DftCell cell, DftProtocol protocol, string? label, string fingerprint, double nelec,
        string? note, List<DftAttempt> attempts, PwOutput output, PwDiagnosis diagnosis, double wall)
    {
        // A metal that converged under fixed occupations (LUMO below HOMO) still has a usable energy; when no fix
        // was tried or left, report it as a result with gap 0 rather than discard it.
        bool metalAccepted = diagnosis.Class == DftFailureClass.MetallicUnderFixedOccupations && output.Converged;
        if (metalAccepted)
        {
            note = note is null ? diagnosis.Detail : $"{note}; {diagnosis.Detail}";
            diagnosis = new PwDiagnosis(DftFailureClass.None, diagnosis.Detail);
        }
        bool ok = diagnosis.IsSuccess;
        return new DftResult
        {
            Label = label,
            Formula = cell.Formula,
            NumSites = cell.NumSites,
            Protocol = protocol.Name,
            ProtocolHash = protocol.Hash,
            Fingerprint = fingerprint,
            Status = ok ? "ok" : "failed",
            FailureClass = diagnosis.Class,
            FailureDetail = ok ? null : diagnosis.Detail,
            TotalEnergyRy = ok ? output.TotalEnergyRy : null,
            TotalEnergyEv = ok ? output.TotalEnergyEv : null,
            BandGapEv = ok ? output.BandGapEv : null,
            HomoEv = ok ? output.HomoEv : null,
            LumoEv = ok ? output.LumoEv : null,
            FermiEnergyEv = ok ? output.FermiEnergyEv : null,
            ScfIterations = output.ScfIterations,
            TotalMagnetization = output.TotalMagnetization,
            ValenceElectrons = nelec,
            Note = note,
            Attempts = attempts,
            WallSeconds = wall,
        };
    }

    private void Archive(string name, int n, string input, PwRunOutcome run)
    {
        if (Options.ArchiveDirectory is null) return;
        string dir = Path.Combine(Options.ArchiveDirectory, string.Concat(name.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_')));
        Directory.CreateDirectory(dir);
        string stem = Path.Combine(dir, $"attempt-{n}");
        WriteGzip(stem + ".in.gz", input);
        WriteGzip(stem + ".out.gz", run.OutputText);
        if (run.XmlText is not null) WriteGzip(stem + ".xml.gz", run.XmlText);
        if (run.CrashFileText is not null) WriteGzip(stem + ".CRASH.gz", run.CrashFileText);
        if (run.StandardErrorText.Length > 0) WriteGzip(stem + ".err.gz", run.StandardErrorText);
    }

    /// <summary>Written to a temporary name and renamed: an archive file is whole or absent.</summary>
    private static void WriteGzip(string path, string text) => CrystalActors.Crystals.Io.AtomicFile.Write(path, file =>
    {
        using var gz = new System.IO.Compression.GZipStream(file, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true);
        using var w = new StreamWriter(gz);
        w.Write(text);
    });
}

/// <summary>Convenience overloads taking the crystal core's Structure.</summary>
public static class DftServiceExtensions
{
    public static Task<DftResult> RunAsync(this DftService service, CrystalActors.Crystals.Structure structure, DftProtocol protocol,
        string? label = null, CancellationToken cancellationToken = default) =>
        service.RunAsync(structure.ToDftCell(), protocol, label ?? structure.Id, cancellationToken);
}
