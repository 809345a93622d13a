using CrystalActors.Runtime.Actors;
using CrystalActors.Runtime.Messages;
using CrystalActors.Runtime.Persistence;
using CrystalActors.Runtime.Transport;
using Serilog;

namespace CrystalActors.Runtime.Farming;

/// <summary>Ask the registry to store new weights and announce them; the reply is the <see cref="ModelVersionPublished"/> notice.</summary>
public sealed record PublishModel(string ModelName, byte[] Weights);

/// <summary>
/// Thin shell over <see cref="ModelRegistryState"/>: weights go to the content store, the registration event and
/// the notice commit in one transaction (journal + outbox), and the outbox relay broadcasts the notice on a
/// latest-value topic. Recovery on (re)start = latest snapshot + later events.
/// </summary>
public sealed class ModelRegistryActor(Func<ClusterDatabase> openDb, ContentStore content, string sender, string topic, Action outboxChanged, TimeProvider? time = null) : IActor
{
    private ClusterDatabase? _db;
    private PersistentEntity<ModelRegistryState>? _registry;
    private JobStore? _outbox;

    public Task StartedAsync(ActorContext context)
    {
        _db?.Dispose();
        _db = openDb();
        _registry = ModelRegistryState.InJournal(new EventJournal(_db, time));
        _registry.Recover();
        _outbox = new JobStore(_db, new JobStoreOptions { Sender = sender }, time);
        return Task.CompletedTask;
    }

    public async Task ReceiveAsync(object message, ActorContext ctx)
    {
        if (message is not PublishModel p) return;
        var stored = await content.PutAsync(p.Weights).ConfigureAwait(false);
        var (events, notice) = _registry!.State.Handle(new RegisterModelVersion(p.ModelName, stored.Path, stored.Sha256, (time ?? TimeProvider.System).GetUtcNow()));
        _db!.InTransaction(() =>
        {
            _registry.Persist(events);
            _outbox!.Enqueue(topic, notice, $"model:{notice.ModelName}:{notice.Version}");
            return 0;
        });
        outboxChanged();
        Log.Information("Model {Model} v{Version} registered ({Bytes} bytes, sha256 {Sha})", notice.ModelName, notice.Version, stored.Bytes, notice.Sha256[..12]);
        ctx.Reply(notice);
    }

    public Task StoppingAsync(IReadOnlyList<object> undelivered, ActorContext context) { _db?.Dispose(); return Task.CompletedTask; }
}

/// <summary>
/// Subscribes to model-version notices (latest value only) and hands verified weights to <paramref name="load"/>.
/// A notice whose file does not match its sha256 is logged with its sender and dropped.
/// </summary>
public static class ModelVersionReceiver
{
    public static Task<ISubscription> SubscribeAsync(ITransport transport, string topic, string subscriber, Func<ModelVersionPublished, byte[], Task> load, CancellationToken ct = default) =>
        transport.SubscribeAsync(topic, subscriber, async (d, token) =>
        {
            if (!MessageCodec.Default.TryDecode(d.Body, d.TransportSender, out var e, out var f))
            {
                Log.Warning("Rejected a frame on {Topic} from {Sender}: {Reason}", topic, f!.Sender, f.Reason);
                return DeliveryOutcome.Reject;
            }
            if (e!.Message is not ModelVersionPublished notice) return DeliveryOutcome.Reject;
            byte[] weights;
            try { weights = await ContentStore.ReadVerifiedAsync(notice.Path, notice.Sha256, token).ConfigureAwait(false); }
            catch (Exception ex) when (ex is InvalidDataException or IOException)
            {
                Log.Warning("Ignored {Model} v{Version} from {Sender}: {Error}", notice.ModelName, notice.Version, e.Sender, ex.Message);
                return DeliveryOutcome.Ack;
            }
            await load(notice, weights).ConfigureAwait(false);
            return DeliveryOutcome.Ack;
        }, prefetch: 1, ct);
}
