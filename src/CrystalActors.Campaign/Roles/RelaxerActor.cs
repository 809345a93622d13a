using CrystalActors.Crystals.Io;
using CrystalActors.Models.M3gnet;
using CrystalActors.Models.Relaxation;
using CrystalActors.Runtime.Actors;
using CrystalActors.Runtime.Messages;
using Serilog;

namespace CrystalActors.Campaign.Roles;

/// <summary>
/// The relaxer role: M3GNet + FIRE (with the cell) before DFT, as the pipeline paper relaxes with
/// a universal potential first; then the relaxed crystal is submitted to the DFT farm. A relaxation
/// that diverges still goes to DFT unrelaxed (the DFT verdict is what counts), and says so.
/// </summary>
public sealed class RelaxerActor(CampaignOptions options, Func<DftJobRequested, Task> submit) : IActor
{
    private M3gnetPotential? _potential;
    private FireRelaxer? _relaxer;

    public Task StartedAsync(ActorContext context)
    {
        if (options.Relax.Enabled)
        {
            _potential = M3gnetPotential.Load(options.Relax.Weights);
            _relaxer = new FireRelaxer(_potential, new Models.Relaxation.RelaxOptions { Fmax = options.Relax.Fmax, MaxSteps = options.Relax.Steps });
        }
        return Task.CompletedTask;
    }

    public async Task ReceiveAsync(object message, ActorContext context)
    {
        if (message is not RelaxAndCompute job) return;
        var structure = Mp20JsonlReader.ParseLine(job.StructureJson, $"job {job.JobId}").Structure!;
        var relaxedJson = job.StructureJson;
        if (_relaxer is not null)
        {
            var sw = System.Diagnostics.Stopwatch.StartNew();
            var result = _relaxer.Relax(structure);
            if (result.IsDiverged)
                Log.Warning("Relaxer: job {Job} {Formula} diverged ({Status}: {Message}); computing the unrelaxed crystal",
                    job.JobId, structure.Composition.ReducedFormula, result.Status, result.Message);
            else
            {
                relaxedJson = Mp20JsonWriter.ToJsonLine(result.ToStructure(structure.Id), (int)job.Episode, job.JobId);
                Log.Information("Relaxer: job {Job} {Formula}: {Steps} FIRE steps, {E0:F3} -> {E1:F3} eV, {Seconds:F1} s ({Status})",
                    job.JobId, structure.Composition.ReducedFormula, result.Steps, result.InitialEnergy, result.FinalEnergy, sw.Elapsed.TotalSeconds, result.Status);
            }
        }
        var protocol = options.Dft.Protocol();
        var payload = new DftJobPayload(relaxedJson, protocol, job.JobId).ToJson();
        await submit(new DftJobRequested(job.JobId, payload, protocol.Name, $"campaign:{options.Name}")).ConfigureAwait(false);
    }

    public Task StoppingAsync(IReadOnlyList<object> undelivered, ActorContext context)
    {
        _potential?.Dispose();
        return Task.CompletedTask;
    }
}
