using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using CrystalActors.Crystals.Io;
using CrystalActors.Models.Megnet;
using CrystalActors.Models.Reward;
using CrystalActors.Runtime.Persistence;
using CrystalActors.Torch;

namespace CrystalActors.Campaign.Roles;

/// <summary>
/// The fine-tuner, a cluster singleton: each DFT result becomes k gradient steps on a copy of the current reward
/// model, run off the mailbox (samples that arrive meanwhile wait in the stash); the new immutable version goes to
/// the content store and is published (topic "reward-model") and registered with the coordinator. A restarted
/// fine-tuner resumes from the latest registered version (it asks the coordinator).
/// </summary>
public sealed class FineTunerActor : ReceiveActor, IWithUnboundedStash
{
    private readonly string _initialWeights;
    private readonly FineTuneOptions _options;
    private readonly Device _device;
    private readonly ContentStore _store;
    private readonly IActorRef _coordinator, _mediator;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private BandGapModel? _current;
    private RewardModelFineTuner? _tuner;

    public IStash Stash { get; set; } = null!;

    public static Props Props(string initialWeights, FineTuneOptions options, Device device, ContentStore store, IActorRef coordinator, IActorRef mediator) =>
        Akka.Actor.Props.Create(() => new FineTunerActor(initialWeights, options, device, store, coordinator, mediator));

    public FineTunerActor(string initialWeights, FineTuneOptions options, Device device, ContentStore store, IActorRef coordinator, IActorRef mediator)
    {
        _device = device;
        _initialWeights = initialWeights;
        _options = options;
        _store = store;
        _coordinator = coordinator;
        _mediator = mediator;
        Ready();
    }

    protected override void PreStart()
    {
        _current = BandGapModel.Load(_initialWeights, _device);
        _tuner = new RewardModelFineTuner(_options);
        _coordinator.Tell(CatchUp.Instance);
    }

    protected override void PostStop() => _current?.Dispose();

    private void Ready()
    {
        Receive<RewardModelPublished>(Adopt);
        Receive<DftSample>(sample =>
        {
            var structure = Mp20JsonlReader.ParseLine(sample.StructureJson, $"DFT job {sample.JobId}").Structure!;
            var current = _current!;
            var scratch = ModelFiles.Scratch(_store, $"reward-v{current.Version + 1}");
            Task.Run(async () =>
            {
                var result = _tuner!.FineTune(current, [new RewardSample(structure, sample.GapEv, sample.JobId)], scratch);
                var stored = await ModelFiles.StoreAsync(_store, scratch).ConfigureAwait(false);
                return new Tuned(sample, stored, result);
            }).PipeTo(Self, failure: e => new Status.Failure(e));
            Become(Tuning);
        });
        Receive<PolicyPublished>(_ => { });
        Receive<StopGenerating>(_ => { });
    }

    private void Tuning()
    {
        Receive<Tuned>(t =>
        {
            _current!.Dispose();
            _current = t.Result.Model;
            var r = t.Result;
            _log.Info(FormattableString.Invariant(
                $"Fine-tuner: reward model v{_current.Version} from job {t.Sample.JobId} (gap {t.Sample.GapEv:F3} eV, predicted {r.PredictedBeforeEv[0]:F3} -> {r.PredictedAfterEv[0]:F3} eV), loss {r.LossBefore:F4} -> {r.LossAfter:F4}"));
            var notice = new RewardModelPublished(_current.Version, t.Stored.Path, t.Stored.Sha256);
            _mediator.Tell(new Publish(CampaignCoordinatorActor.RewardModelTopic, notice));
            _coordinator.Tell(notice);
            _coordinator.Tell(new RewardModelTuned(t.Sample.JobId, _current.Version, t.Sample.GapEv, r.PredictedBeforeEv[0], r.PredictedAfterEv[0], r.LossBefore, r.LossAfter));
            Become(Ready);
            Stash.UnstashAll();
        });
        Receive<Status.Failure>(f =>
        {
            _log.Error(f.Cause, "Fine-tuner: fine-tuning failed; the reward model stays at v{0}", _current!.Version);
            Become(Ready);
            Stash.UnstashAll();
        });
        ReceiveAny(_ => Stash.Stash());
    }

    private void Adopt(RewardModelPublished adopted)
    {
        // A restart resumes from the latest registered version.
        if (adopted.Version <= _current!.Version) return;
        ModelFiles.Verify(adopted.Path, adopted.Sha256);
        _current.Dispose();
        _current = BandGapModel.Load(adopted.Path, _device);
    }

    private sealed record Tuned(DftSample Sample, ContentRef Stored, FineTuneResult Result) : INoSerializationVerificationNeeded;
}
