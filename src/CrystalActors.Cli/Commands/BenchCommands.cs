using System.CommandLine;

namespace CrystalActors.Cli.Commands;

/// <summary>`crystal-actors bench ...`: speed measurements that print a table (code under bench/).</summary>
public static class BenchCommands
{
    public static Command Create()
    {
        var command = new Command("bench", "Benchmarks (print a table and key=value lines).");
        var threads = new Option<int?>("--threads") { Description = "libtorch intra-op threads (default: libtorch's choice)." };
        var seconds = new Option<double>("--seconds") { Description = "Measuring time per figure.", DefaultValueFactory = _ => 2.0 };
        var torch = new Command("torch", "matmul GFLOP/s and MLP training steps/s through the libtorch bridge.");
        torch.Options.Add(threads);
        torch.Options.Add(seconds);
        torch.SetAction(p => CrystalActors.Bench.TorchBench.Run(p.GetValue(threads), p.GetValue(seconds)));
        command.Subcommands.Add(torch);
        command.Subcommands.Add(CrystalActors.Bench.MegnetBench.CreateCommand());
        command.Subcommands.Add(CrystalActors.Bench.M3gnetBench.CreateCommand());
        command.Subcommands.Add(CrystalActors.Bench.OfflineBench.CreateCommand());
        command.Subcommands.Add(CrystalActors.Bench.GrpoBench.CreateCommand());
        command.Subcommands.Add(CrystalActors.Bench.RewardBench.CreateCommand());
        return command;
    }
}
