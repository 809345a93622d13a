using System.Diagnostics;
using CrystalActors.Crystals.Io;
using CrystalActors.Models.M3gnet;
using CrystalActors.Models.Relaxation;
using CrystalActors.Runtime.Farming;
using CrystalActors.Torch;
using Serilog;

namespace CrystalActors.Campaign.Roles;

/// <summary>
/// The relaxer: the "relax" stage of a campaign's DFT job, run by farm workers on nodes with role "relaxer".
/// M3GNet + FIRE (with the cell) before DFT, as the pipeline paper relaxes with a universal potential first. Its
/// output is the DFT stage's payload: the same job with the relaxed crystal. A relaxation that diverges passes the
/// unrelaxed crystal on (the DFT verdict is what counts), and says so.
/// </summary>
public sealed class RelaxExecutor(CampaignOptions options, Device device) : IJobExecutor, IDisposable
{
    private readonly Lazy<(M3gnetPotential Potential, FireRelaxer Relaxer)> _model = new(() =>
    {
        var potential = M3gnetPotential.Load(options.Relax.Weights, device: device);
        return (potential, new FireRelaxer(potential, new Models.Relaxation.RelaxOptions { Fmax = options.Relax.Fmax, MaxSteps = options.Relax.Steps }));
    });

    public void Validate(string payload) => DftJobExecutor.ParseStructure(DftJobExecutor.ParsePayload(payload));

    public Task<JobExecution> ExecuteAsync(string payload, CancellationToken ct)
    {
        var job = DftJobExecutor.ParsePayload(payload);
        var structure = DftJobExecutor.ParseStructure(job);
        var sw = Stopwatch.StartNew();
        var result = _model.Value.Relaxer.Relax(structure);
        ct.ThrowIfCancellationRequested();
        if (result.IsDiverged)
        {
            Log.Warning("Relaxer: job {Job} {Formula} diverged ({Status}: {Message}); computing the unrelaxed crystal",
                job.Label, structure.Composition.ReducedFormula, result.Status, result.Message);
            return Task.FromResult(new JobExecution(payload, sw.Elapsed.TotalSeconds));
        }
        var relaxed = Mp20JsonWriter.ToJsonLine(result.ToStructure(structure.Id), 0, job.Label);
        Log.Information("Relaxer: job {Job} {Formula}: {Steps} FIRE steps, {E0:F3} -> {E1:F3} eV, {Seconds:F1} s ({Status})",
            job.Label, structure.Composition.ReducedFormula, result.Steps, result.InitialEnergy, result.FinalEnergy, sw.Elapsed.TotalSeconds, result.Status);
        return Task.FromResult(new JobExecution((job with { StructureJson = relaxed }).ToJson(), sw.Elapsed.TotalSeconds));
    }

    public void Dispose()
    {
        if (_model.IsValueCreated) _model.Value.Potential.Dispose();
    }
}
