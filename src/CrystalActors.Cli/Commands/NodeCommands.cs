using System.CommandLine;
using CrystalActors.Runtime.Hosting;

namespace CrystalActors.Cli.Commands;

/// <summary>`crystal-actors node --topology FILE [--node NAME] [--roles a,b]`: run one cluster node until SIGTERM.</summary>
public static class NodeCommands
{
    public static Command Create() => Build("node");

    /// <summary>Also mounted as `cluster node`, so scripts work whichever way the command tree is wired.</summary>
    internal static Command Build(string name)
    {
        var topology = new Option<string?>("--topology")
        {
            Description = "Topology JSON (cluster-config/*.json). Default: the embedded single-node topology (in-process transport).",
        };
        var node = new Option<string?>("--node") { Description = "Which node of the topology this process is (needed when it has several)." };
        var roles = new Option<string?>("--roles") { Description = "Comma-separated roles overriding the node's roles, e.g. coordinator,dft-worker." };
        var command = new Command(name, "Run one node of a cluster topology (roles: coordinator, dft-worker, ...) until SIGTERM/Ctrl-C.");
        command.Options.Add(topology);
        command.Options.Add(node);
        command.Options.Add(roles);
        command.SetAction(async (parse, ct) =>
        {
            var t = parse.GetValue(topology) is { } file ? Topology.Load(file) : Topology.SingleNode();
            var r = parse.GetValue(roles)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return await NodeHost.RunAsync(t, parse.GetValue(node), r, new NodeServices(), ct);
        });
        return command;
    }
}
