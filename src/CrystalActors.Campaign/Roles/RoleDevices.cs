using CrystalActors.Torch;

namespace CrystalActors.Campaign.Roles;

/// <summary>
/// The compute device of each role group on this node, from the campaign config's <c>device</c> keys (dqn, offline_cql,
/// reward_model — replicas and fine-tuner —, relax). Resolved when the node places its roles, and only for the groups
/// it hosts: one config serves a GPU node (learner, "auto" → CUDA) and CPU nodes (rollout, relaxer, "auto" → CPU), and a
/// "cuda" asked of a CPU-only node fails its start with one line naming the key. Rollout generators always act on the
/// CPU: their batches are a few states, and CPU nodes are where they run.
/// </summary>
public sealed record RoleDevices(Device Learner, Device OfflineCql, Device RewardModel, Device Relaxer)
{
    public static readonly RoleDevices Cpu = new(Device.CPU, Device.CPU, Device.CPU, Device.CPU);

    public static RoleDevices Resolve(CampaignOptions options, Func<string, bool> hasRole)
    {
        Device For(string role, string setting, string value) => hasRole(role) ? Device.Resolve(value, setting) : Device.CPU;
        return new RoleDevices(
            options.Learner == "grpo" ? For("learner", "grpo.device", options.Grpo.Device) : For("learner", "dqn.device", options.Dqn.Device),
            For("offline-cql", "offline_cql.device", options.OfflineCql.Device),
            hasRole("reward-model") || hasRole("fine-tuner") ? Device.Resolve(options.RewardModel.Device, "reward_model.device") : Device.CPU,
            For("relaxer", "relax.device", options.Relax.Device));
    }

    public override string ToString() => $"learner {Learner}, offline CQL {OfflineCql}, reward model {RewardModel}, relaxer {Relaxer}";
}
