using Polly;
using Polly.Retry;
using Serilog;

namespace CrystalActors.Runtime.Transport;

/// <summary>
/// Publishes with retries (exponential backoff + jitter, no attempt limit) until the node stops, so a
/// broker restart delays messages instead of losing them. Fire-and-forget sends run in the background.
/// </summary>
public sealed class ReliablePublisher(ITransport transport, CancellationToken stopping)
{
    private readonly ResiliencePipeline _retry = new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions
    {
        ShouldHandle = new PredicateBuilder().Handle<Exception>(e => e is not OperationCanceledException),
        BackoffType = DelayBackoffType.Exponential, UseJitter = true, MaxRetryAttempts = int.MaxValue,
        Delay = TimeSpan.FromMilliseconds(100), MaxDelay = TimeSpan.FromSeconds(3),
        OnRetry = a => { Log.Warning("Publish failed ({Error}); retry {N}", a.Outcome.Exception?.Message, a.AttemptNumber + 1); return default; },
    }).Build();

    public ITransport Transport => transport;

    public async Task PublishAsync(string destination, byte[] frame) =>
        await _retry.ExecuteAsync(async ct => await transport.PublishAsync(destination, frame, ct).ConfigureAwait(false), stopping).ConfigureAwait(false);

    public void PublishInBackground(string destination, byte[] frame) => _ = Task.Run(async () =>
    {
        try { await PublishAsync(destination, frame).ConfigureAwait(false); }
        catch (OperationCanceledException) { Log.Warning("Node stopped before a message to {Destination} was published", destination); }
    });
}
