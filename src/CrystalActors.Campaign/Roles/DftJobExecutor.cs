using System.Text.Json;
using System.Text.Json.Serialization;
using CrystalActors.Crystals;
using CrystalActors.Crystals.Io;
using CrystalActors.Dft;
using CrystalActors.Dft.Input;
using CrystalActors.Runtime.Farming;

namespace CrystalActors.Campaign.Roles;

/// <summary>A DFT job as it travels through the farm: the (relaxed) crystal and the full protocol (overrides included).</summary>
public sealed record DftJobPayload(
    [property: JsonPropertyName("structure")] string StructureJson,
    [property: JsonPropertyName("protocol")] DftProtocol Protocol,
    [property: JsonPropertyName("label")] string Label)
{
    public string ToJson() => JsonSerializer.Serialize(this);

    public static DftJobPayload Parse(string json) =>
        JsonSerializer.Deserialize<DftJobPayload>(json) ?? throw new JobPayloadException("empty DFT job payload");
}

/// <summary>The farm's view of the DFT service: a job payload in, the <see cref="DftResult"/> as JSON out.</summary>
public sealed class DftJobExecutor(DftService dft) : IJobExecutor
{
    public static readonly JsonSerializerOptions ResultJson = new() { Converters = { new JsonStringEnumConverter() } };

    public void Validate(string payload) => Validate(payload, dft.Pseudos);

    /// <summary>What a DFT worker checks before it takes a lease (a payload is network input): the payload, its crystal, and
    /// every setting against its whitelist or range before a pw.x input exists. Needs the pseudopotentials, not pw.x.</summary>
    /// <exception cref="JobPayloadException">the payload can never run, with the reason.</exception>
    public static void Validate(string payload, PseudopotentialLibrary pseudos)
    {
        var job = ParsePayload(payload);
        if (job.Protocol is null) throw new JobPayloadException($"job {job.Label}: no DFT protocol");
        var structure = ParseStructure(job);
        try
        {
            var cell = ToCell(structure);
            pseudos.EnsureAvailable(cell.Species);
            job.Protocol.Resolve(cell, pseudos, out _);
        }
        catch (Exception e) when (e is FileNotFoundException or ArgumentException or InvalidOperationException)
        {
            throw new JobPayloadException($"job {job.Label}: {e.Message}");
        }
    }

    public async Task<JobExecution> ExecuteAsync(string payload, CancellationToken ct)
    {
        var job = ParsePayload(payload);
        var cell = ToCell(ParseStructure(job));
        var result = await dft.RunAsync(cell, job.Protocol, job.Label, ct).ConfigureAwait(false);
        return new JobExecution(JsonSerializer.Serialize(result.WithoutOutputText(), ResultJson), result.WallSeconds);
    }

    public static DftResult ParseResult(string json) =>
        JsonSerializer.Deserialize<DftResult>(json, ResultJson) ?? throw new InvalidDataException("empty DFT result");

    /// <summary>The payload, or a <see cref="JobPayloadException"/> naming what is wrong with it.</summary>
    public static DftJobPayload ParsePayload(string payload)
    {
        DftJobPayload job;
        try { job = DftJobPayload.Parse(payload); }
        catch (JsonException e) { throw new JobPayloadException($"DFT job payload is not valid JSON: {e.Message}"); }
        // Deserialising fills what the JSON leaves out with null; the record's types promise otherwise.
        if (job.Label is null) throw new JobPayloadException("DFT job payload has no \"label\"");
        if (job.StructureJson is null) throw new JobPayloadException($"job {job.Label}: the payload has no \"structure\"");
        return job;
    }

    public static Structure ParseStructure(DftJobPayload job)
    {
        try
        {
            return Mp20JsonlReader.ParseLine(job.StructureJson, $"job {job.Label}").Structure
                   ?? throw new JobPayloadException($"job {job.Label}: the structure has no frac_coords");
        }
        catch (CrystalFormatException e) { throw new JobPayloadException($"job {job.Label}: {e.Message}"); }
    }

    public static DftCell ToCell(Structure s)
    {
        var m = s.Lattice.Matrix;
        var lattice = Enumerable.Range(0, 3).Select(i => new[] { m[i, 0], m[i, 1], m[i, 2] }).ToArray();
        return new DftCell(lattice, s.Sites.Select(x => x.Species.Symbol).ToArray(),
            s.Sites.Select(x => new[] { x.FracCoords.X, x.FracCoords.Y, x.FracCoords.Z }).ToArray());
    }
}
