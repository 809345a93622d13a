using CrystalActors.Tests.Shared;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using CrystalActors.Runtime.Farming;
using CrystalActors.Runtime.Messages;

namespace CrystalActors.Runtime.Tests.Farming;

/// <summary>Real pw.x through the farm: two workers, eight tiny Si jobs, each computed once.</summary>
public class SiliconFarmTests() : TestKit(AkkaTestConfig.Local)
{
    [PwFact]
    public void EightSiliconJobs_OnTwoWorkers_AllCompleteOnce_WithTheirOwnEnergies()
    {
        var farm = Sys.ActorOf(DftFarmActor.Props(new FarmOptions { PersistenceId = "si-farm-" + Guid.NewGuid() }));
        var executor = new SiliconPwExecutor(new PwExecutorOptions { PseudoDir = Path.Combine(TestEnvironment.SharedDir, "pseudo", "SSSP_1.3.0_PBE_efficiency") });
        var ids = Enumerable.Range(0, 8).Select(i => $"si-{i}").ToList();
        for (int i = 0; i < ids.Count; i++)
            farm.Tell(new SubmitJob(ids[i], FormattableString.Invariant($"{{\"a\": {5.25 + 0.05 * i}, \"ecutwfc\": 20, \"kpts\": 2}}"), ["dft"], "test"), TestActor);
        ReceiveN(ids.Count);
        Sys.ActorOf(FarmWorkerActor.Props("w1", "dft", executor, farm));
        Sys.ActorOf(FarmWorkerActor.Props("w2", "dft", executor, farm));
        JobsStatus status = null!;
        AwaitCondition(() =>
        {
            farm.Tell(new QueryJobs(ids), TestActor);
            status = ExpectMsg<JobsStatus>();
            return status.Jobs.All(j => j.State == JobStates.Completed);
        }, TimeSpan.FromMinutes(3), TimeSpan.FromSeconds(1));
        // Energies differ job to job (different lattice constants) and are those of Si with the SSSP pseudopotential (about -22.66 Ry for 2 atoms).
        var energies = status.Jobs.Select(j => System.Text.Json.JsonDocument.Parse(j.Result!).RootElement.GetProperty("total_energy_ry").GetDouble()).ToList();
        Assert.Equal(8, energies.Distinct().Count());
        Assert.All(energies, e => Assert.InRange(e, -23.0, -22.0));
        farm.Tell(GetFarmSummary.Instance, TestActor);
        Assert.Equal(8, ExpectMsg<FarmSummary>().Overhead.Jobs);
    }
}
