using System.Diagnostics;

namespace CrystalActors.Runtime.Tests;

/// <summary>Locates the repository and ../shared from the test assembly (or CRYSTAL_ACTORS_SHARED).</summary>
public static class TestEnvironment
{
    public static string RepoRoot { get; } = FindUp(d => File.Exists(Path.Combine(d, "CrystalActors.sln")))
        ?? throw new DirectoryNotFoundException($"no CrystalActors.sln above {AppContext.BaseDirectory}");

    /// <summary>The shared data folder: $CRYSTAL_ACTORS_SHARED, else a `shared/` next to (or above) the repository.</summary>
    public static string SharedDir { get; } = CrystalActors.Crystals.SharedPaths.RequireShared("pseudo");

    public static bool RabbitMqInstalled => File.Exists("/usr/lib/rabbitmq/bin/rabbitmq-server");
    public static bool PwInstalled => FindOnPath("pw.x") is not null;

    public static string? FindOnPath(string exe) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(p => Path.Combine(p, exe)).FirstOrDefault(File.Exists);

    public static string TempDir(string prefix)
    {
        var d = Path.Combine(Path.GetTempPath(), $"ca-{prefix}-{Guid.NewGuid():N}"[..24]);
        Directory.CreateDirectory(d);
        return d;
    }

    private static string? FindUp(Func<string, bool> found)
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (found(d.FullName)) return d.FullName;
        return null;
    }
}

/// <summary>A fact that needs a real rabbitmq-server; skipped with a clear message where it is not installed.</summary>
public sealed class BrokerFactAttribute : FactAttribute
{
    public BrokerFactAttribute()
    {
        if (!TestEnvironment.RabbitMqInstalled)
            Skip = "rabbitmq-server is not installed (/usr/lib/rabbitmq/bin/rabbitmq-server missing); apt-get install rabbitmq-server to run broker tests";
    }
}

/// <summary>A fact that runs real pw.x; skipped with a clear message where Quantum ESPRESSO is not installed.</summary>
public sealed class PwFactAttribute : FactAttribute
{
    public PwFactAttribute()
    {
        if (!TestEnvironment.PwInstalled) Skip = "pw.x is not on PATH; apt-get install quantum-espresso to run DFT tests";
    }
}

/// <summary>Needs both a real broker and pw.x.</summary>
public sealed class BrokerAndPwFactAttribute : FactAttribute
{
    public BrokerAndPwFactAttribute()
    {
        if (!TestEnvironment.RabbitMqInstalled) Skip = new BrokerFactAttribute().Skip;
        else if (!TestEnvironment.PwInstalled) Skip = new PwFactAttribute().Skip;
    }
}

/// <summary>One real RabbitMQ node for the whole test run, started through scripts/broker.sh on a random loopback port.</summary>
public sealed class BrokerFixture : IAsyncLifetime
{
    public string Dir { get; } = TestEnvironment.TempDir("broker");
    public string AmqpUri { get; private set; } = "";

    public async Task InitializeAsync()
    {
        if (!TestEnvironment.RabbitMqInstalled) return;
        await RunScriptAsync("start");
        var line = File.ReadAllLines(Path.Combine(Dir, "broker.env")).Single(l => l.StartsWith("CRYSTAL_ACTORS_AMQP_URI="));
        AmqpUri = line["CRYSTAL_ACTORS_AMQP_URI=".Length..];
    }

    public Task StopBrokerAsync() => RunScriptAsync("stop");
    public Task StartBrokerAsync() => RunScriptAsync("start");

    public async Task DisposeAsync()
    {
        if (!TestEnvironment.RabbitMqInstalled) return;
        await RunScriptAsync("stop");
        try { Directory.Delete(Dir, true); } catch (IOException) { }
    }

    private async Task RunScriptAsync(string verb)
    {
        var psi = new ProcessStartInfo("bash", [Path.Combine(TestEnvironment.RepoRoot, "scripts", "broker.sh"), verb, Dir])
        { RedirectStandardError = true, RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0) throw new InvalidOperationException($"scripts/broker.sh {verb} failed ({p.ExitCode}): {await err}");
    }
}

[CollectionDefinition(Name)]
public sealed class BrokerCollection : ICollectionFixture<BrokerFixture>
{
    public const string Name = "broker";
}
