using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using CrystalActors.Crystals;
using CrystalActors.Crystals.Io;
using CrystalActors.Models.M3gnet;
using CrystalActors.Models.Relaxation;
using CrystalActors.Torch;
using Serilog;

namespace CrystalActors.Cli.Commands;

/// <summary>`crystal-actors potential eval` and `crystal-actors relax`: the M3GNet universal potential (matgl weights).</summary>
public static class PotentialCommands
{
    // Keep "Å" and friends readable in messages.
    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private const string DefaultWeights = "../shared/reference/m3gnet/M3GNet-MatPES-PBE-v2025.1-PES.safetensors";

    /// <summary>The top-level commands of this area.</summary>
    public static IEnumerable<Command> Create()
    {
        var potential = new Command("potential", "M3GNet universal interatomic potential (matgl pretrained weights).");
        potential.Subcommands.Add(Eval());
        yield return potential;
        yield return Relax();
    }

    /// <summary>The options eval and relax share: weights, input crystals, output, limit, batch size, precision.</summary>
    private sealed class CommonOptions
    {
        public Option<string> Weights { get; } = new("--weights")
        { Description = "M3GNet potential weights (.safetensors with matgl metadata)", DefaultValueFactory = _ => DefaultWeights };
        public Option<string> Data { get; } = new("--data") { Description = "Crystals: MP-20 JSONL(.gz), CSV with a cif column, or CIF", Required = true };
        public Option<string> Output { get; } = new("--out") { Description = "Output JSONL, one line per crystal", Required = true };
        public Option<int> Limit { get; } = new("--limit") { Description = "Use at most this many crystals (0 = all)", DefaultValueFactory = _ => 0 };
        public Option<int> Batch { get; } = new("--batch") { Description = "Crystals per batched potential call", DefaultValueFactory = _ => 16 };
        public Option<string> Dtype { get; } = new("--dtype") { Description = "float32 (matgl's default) or float64", DefaultValueFactory = _ => "float32" };
        public BatchOptions Errors { get; } = new();

        public void AddTo(Command cmd)
        {
            foreach (var o in new Option[] { Weights, Data, Output, Limit, Batch, Dtype }) cmd.Options.Add(o);
            Errors.AddTo(cmd);
        }

        public M3gnetPotential LoadPotential(ParseResult p) =>
            M3gnetPotential.Load(SharedPaths.Resolve(p.GetValue(Weights)!), ParseDtype(p.GetValue(Dtype)!));
        public int BatchSize(ParseResult p) => Math.Max(1, p.GetValue(Batch));

        /// <summary>Every crystal of --data through <paramref name="work"/> in batches; bad records are reported and
        /// skipped, the others written (one JSONL line each), the file whole at the end.</summary>
        public void Run<T>(ParseResult p, string command, string what, Func<Structure[], IReadOnlyList<T>> work, Action<Stream, Mp20Record, T> write)
        {
            var errors = Errors.Start(p, command);
            string path = p.GetValue(Data)!, output = p.GetValue(Output)!;
            var records = ReadRecords(path, p.GetValue(Limit), errors);
            var done = errors.RunChunked(records, BatchSize(p), r => RecordErrors.Where(path, r), what,
                chunk => work(chunk.Select(r => r.Structure!).ToArray()).ToArray());
            // The output appears whole when the work is done: an earlier file of that name stays until then.
            AtomicFile.Write(output, stream =>
            {
                foreach (var (r, result) in done) write(stream, r, result);
            });
            errors.Finish(path, done.Count, ("out", output));
        }
    }

    private static Command Eval()
    {
        var common = new CommonOptions();
        var cmd = new Command("eval", "Energy (eV, eV/atom), forces (eV/Å) and stress (GPa, σ = (1/V)∂E/∂ε: positive = tensile) per crystal.");
        common.AddTo(cmd);
        cmd.SetAction(p =>
        {
            using var potential = common.LoadPotential(p);
            common.Run(p, "potential eval", "energy", potential.Compute, WriteEval);
            return 0;
        });
        return cmd;
    }

    private static Command Relax()
    {
        var common = new CommonOptions();
        var fmax = new Option<double>("--fmax") { Description = "Force convergence threshold (eV/Å)", DefaultValueFactory = _ => 0.1 };
        var steps = new Option<int>("--steps") { Description = "Maximum FIRE steps", DefaultValueFactory = _ => 200 };
        var fixCell = new Option<bool>("--fix-cell") { Description = "Relax positions only (no FrechetCellFilter)" };
        var cmd = new Command("relax", "Relax crystals with FIRE (+ FrechetCellFilter cell relaxation, as matgl's Relaxer / ASE 3.23) on M3GNet.");
        common.AddTo(cmd);
        foreach (var o in new Option[] { fmax, steps, fixCell }) cmd.Options.Add(o);
        cmd.SetAction(p =>
        {
            using var potential = common.LoadPotential(p);
            var options = new RelaxOptions { Fmax = p.GetValue(fmax), MaxSteps = p.GetValue(steps), RelaxCell = !p.GetValue(fixCell) };
            if (!(options.Fmax > 0)) throw new ArgumentException($"--fmax must be positive, got {options.Fmax}");
            if (options.MaxSteps < 0) throw new ArgumentException($"--steps must be ≥ 0, got {options.MaxSteps}");
            var relaxer = new FireRelaxer(potential, options);
            var counts = new Dictionary<string, int>();
            common.Run(p, "relax", "relax", relaxer.Relax, (stream, r, result) =>
            {
                WriteRelax(stream, r, result);
                counts[result.Status.ToString()] = counts.GetValueOrDefault(result.Status.ToString()) + 1;
            });
            Log.Information("Relaxed with {Model}: {Statuses}", potential.Model.Name, string.Join(", ", counts.Select(kv => $"{kv.Key} {kv.Value}")));
            return 0;
        });
        return cmd;
    }

    private static ScalarType ParseDtype(string name) => name switch
    {
        "float32" => ScalarType.Float32,
        "float64" => ScalarType.Float64,
        _ => throw new ArgumentException($"--dtype must be float32 or float64, got '{name}'"),
    };

    /// <summary>The crystals of a data file (at most <paramref name="limit"/>); a bad record or one without coordinates goes to <paramref name="errors"/>.</summary>
    private static List<Mp20Record> ReadRecords(string path, int limit, RecordErrors errors)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"data file '{path}' not found", path);
        var records = CrystalDataReader.ReadRecords(path, errors.Report).Where(r => errors.IsFitForPhysics(path, r));
        return (limit > 0 ? records.Take(limit) : records).ToList();
    }

    /// <summary>One JSONL line for crystal <paramref name="r"/>: its index and id, then <paramref name="body"/>'s fields.</summary>
    private static void WriteLine(Stream stream, Mp20Record r, Action<Utf8JsonWriter> body)
    {
        using (var w = new Utf8JsonWriter(stream, JsonOptions))
        {
            w.WriteStartObject();
            w.WriteNumber("index", r.Index);
            w.WriteString("material_id", r.MaterialId);
            body(w);
            w.WriteEndObject();
        }
        stream.WriteByte((byte)'\n');
    }

    private static void WriteEval(Stream stream, Mp20Record r, PotentialResult result) => WriteLine(stream, r, w =>
    {
        w.WriteNumber("num_atoms", result.NumAtoms);
        Number(w, "energy_eV", result.Energy);
        Number(w, "energy_per_atom_eV", result.EnergyPerAtom);
        WriteRows(w, "forces_eV_per_A", result.Forces);
        WriteRows(w, "stress_GPa", result.Stress);
    });

    private static void WriteRelax(Stream stream, Mp20Record r, RelaxationResult result) => WriteLine(stream, r, w =>
    {
        w.WriteString("status", result.Status.ToString());
        if (result.Message is not null) w.WriteString("message", result.Message);
        w.WriteNumber("steps", result.Steps);
        Number(w, "initial_energy_eV", result.InitialEnergy);
        Number(w, "final_energy_eV", result.FinalEnergy);
        Number(w, "final_energy_per_atom_eV", result.FinalEnergyPerAtom);
        Number(w, "final_max_force_eV_per_A", result.Final.MaxForce);
        var m = result.Lattice;
        WriteRows(w, "lattice", [m.M00, m.M01, m.M02, m.M10, m.M11, m.M12, m.M20, m.M21, m.M22]);
        w.WriteStartArray("species");
        foreach (var e in result.Species) w.WriteStringValue(e.Symbol);
        w.WriteEndArray();
        WriteRows(w, "frac_coords", result.FracCoords);
        w.WriteStartObject("trajectory");
        w.WriteStartArray("energies_eV");
        foreach (var s in result.Trajectory) NumberValue(w, s.Energy);
        w.WriteEndArray();
        w.WriteStartArray("max_force_eV_per_A");
        foreach (var s in result.Trajectory) NumberValue(w, s.MaxForce);
        w.WriteEndArray();
        w.WriteStartArray("volume_A3");
        foreach (var s in result.Trajectory) NumberValue(w, s.Volume);
        w.WriteEndArray();
        w.WriteEndObject();
    });

    private static void WriteRows(Utf8JsonWriter w, string name, double[] values)
    {
        w.WriteStartArray(name);
        for (int i = 0; i < values.Length; i += 3)
        {
            w.WriteStartArray();
            for (int k = 0; k < 3; k++)
            {
                NumberValue(w, values[i + k]);
            }
            w.WriteEndArray();
        }
        w.WriteEndArray();
    }

    private static void Number(Utf8JsonWriter w, string name, double v)
    {
        w.WritePropertyName(name);
        NumberValue(w, v);
    }

    private static void NumberValue(Utf8JsonWriter w, double v)
    {
        if (double.IsFinite(v)) w.WriteNumberValue(v);
        else w.WriteNullValue();
    }
}
