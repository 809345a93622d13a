using System.CommandLine;

namespace CrystalActors.Cli.Commands;

/// <summary>`crystal-actors torch info`: which libtorch, BLAS, threads and devices this node has.</summary>
public static class TorchCommands
{
    public static Command Create()
    {
        var info = new Command("info", "Print the libtorch build, BLAS, thread count and devices.");
        info.SetAction(_ =>
        {
            Console.WriteLine(CrystalActors.Torch.TorchInfo.Describe());
            return 0;
        });
        var command = new Command("torch", "The libtorch bridge.");
        command.Subcommands.Add(info);
        return command;
    }
}
