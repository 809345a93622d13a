using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using CrystalActors.Learning.Rewards;
using CrystalActors.Models.Megnet;
using CrystalActors.Torch;

namespace CrystalActors.Campaign.Roles;

/// <summary>
/// A reward-model replica, one on every node with role "reward-model": answers gap predictions with its current
/// MEGNet version and follows the versions the fine-tuner publishes (topic "reward-model", verified by hash
/// first). A replica that starts late asks the coordinator for the latest version. Predictions never wait for
/// fine-tuning, which runs in the fine-tuner on its own copy.
/// </summary>
public sealed class RewardModelActor : ReceiveActor
{
    private readonly string _initialWeights;
    private readonly Fidelity _fidelity;
    private readonly Device _device;
    private readonly IActorRef _coordinator, _mediator;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private BandGapModel? _model;
    private readonly CampaignRewardOptions? _reward;
    private readonly double _targetEv, _beta;
    private RewardScorer? _scorer;

    public static Props Props(string initialWeights, Fidelity fidelity, Device device, IActorRef coordinator, IActorRef mediator,
        CampaignOptions? campaign = null) =>
        Akka.Actor.Props.Create(() => new RewardModelActor(initialWeights, fidelity, device, coordinator, mediator, campaign));

    /// <param name="campaign">With a multi-objective <c>reward</c> block, the replica also answers <see cref="ScoreCrystals"/>.</param>
    public RewardModelActor(string initialWeights, Fidelity fidelity, Device device, IActorRef coordinator, IActorRef mediator, CampaignOptions? campaign = null)
    {
        if (campaign is { Reward.IsMultiObjective: true })
        {
            _reward = campaign.Reward;
            _targetEv = campaign.TargetGapEv;
            _beta = campaign.RewardBeta;
        }
        _device = device;
        _initialWeights = initialWeights;
        _fidelity = fidelity;
        _coordinator = coordinator;
        _mediator = mediator;
        Receive<PredictGaps>(p =>
        {
            var prediction = _model!.Predict(p.Structures, _fidelity);
            Sender.Tell(new GapPredictions(prediction.GapsEv, prediction.Version));
        });
        Receive<ScoreCrystals>(p =>
        {
            // The components' models load on the first request (M3GNet, the hull, the reference set and its embeddings).
            _scorer ??= new RewardScorer(CompositeReward.FromOptions(_reward!.Components, _targetEv, _beta, _reward.SmactGate, _reward.GatePenalty),
                _reward.Setup, _initialWeights, _fidelity, _device);
            var s = _scorer.Score(p.Structures, _model);
            Sender.Tell(new CrystalScores(s.Total, s.Components, s.Inputs.GapsEv ?? new double?[p.Structures.Count], _model!.Version));
        });
        Receive<RewardModelPublished>(r =>
        {
            if (r.Version <= _model!.Version) return;
            ModelFiles.Verify(r.Path, r.Sha256);
            var next = BandGapModel.Load(r.Path, _device);
            var old = _model;
            _model = next;
            old.Dispose();
            _log.Info("Reward model replica: now version {0}", next.Version);
        });
        Receive<SubscribeAck>(_ => { });
        Receive<PolicyPublished>(_ => { });
        Receive<StopGenerating>(_ => { });
    }

    protected override void PreStart()
    {
        _model = BandGapModel.Load(_initialWeights, _device);
        _log.Info("Reward model replica: version {0} from {1}", _model.Version, _initialWeights);
        _mediator.Tell(new Subscribe(CampaignCoordinatorActor.RewardModelTopic, Self));
        _coordinator.Tell(CatchUp.Instance);
    }

    protected override void PostStop()
    {
        _model?.Dispose();
        _scorer?.Dispose();
    }
}
