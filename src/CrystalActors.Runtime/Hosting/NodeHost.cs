using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Serilog;

namespace CrystalActors.Runtime.Hosting;

/// <summary>Runs one <see cref="ClusterNode"/> on the Generic Host: SIGTERM/Ctrl-C trigger the node's graceful stop.</summary>
public static class NodeHost
{
    /// <summary>Exit code when an actor escalated past its restart limit.</summary>
    public const int EscalationExitCode = 70;

    public static async Task<int> RunAsync(Topology topology, string? nodeName, IReadOnlyList<string>? roles, NodeServices? services = null, CancellationToken ct = default)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders(); // Serilog's static logger is the one log
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));
        var exitCode = 0;
        builder.Services.AddHostedService(sp => new NodeService(topology, nodeName, roles, services, sp.GetRequiredService<IHostApplicationLifetime>(), () => exitCode = EscalationExitCode));
        using var host = builder.Build();
        await host.RunAsync(ct).ConfigureAwait(false);
        return exitCode;
    }

    private sealed class NodeService(Topology topology, string? nodeName, IReadOnlyList<string>? roles, NodeServices? services,
        IHostApplicationLifetime lifetime, Action onEscalation) : IHostedService
    {
        private ClusterNode? _node;

        public async Task StartAsync(CancellationToken ct)
        {
            _node = await ClusterNode.StartAsync(topology, nodeName, roles, services, ct).ConfigureAwait(false);
            _node.Escalated += e =>
            {
                Log.Fatal("Node {Node} stopping: actor {Actor} escalated {Error}", _node.Name, e.Address, e.Error.Message);
                onEscalation();
                lifetime.StopApplication();
            };
        }

        public async Task StopAsync(CancellationToken ct)
        {
            if (_node is not null) await _node.DisposeAsync().ConfigureAwait(false);
        }
    }
}
