namespace CrystalActors.Campaign.Tests;

public class CampaignOptionsTests
{
    private static string RepoFile(params string[] parts)
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "CrystalActors.sln"))) return Path.Combine([d.FullName, .. parts]);
        throw new DirectoryNotFoundException($"no CrystalActors.sln above {AppContext.BaseDirectory}");
    }

    private static string Write(string json)
    {
        var path = Path.Combine(Path.GetTempPath(), $"campaign-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Theory]
    [InlineData("campaign-smoke.json")]
    [InlineData("exp1-reward-model-only.json")]
    [InlineData("exp1-2core.json")]
    [InlineData("exp2-dft-every-episode.json")]
    [InlineData("exp3-reward-model-and-dft-random.json")]
    [InlineData("exp3-2core.json")]
    [InlineData("exp1-grpo-2core.json")]
    public void ShippedConfigs_Load(string file)
    {
        var o = CampaignOptions.Load(RepoFile("cluster-config", file));
        Assert.Equal(1.12, o.TargetGapEv);
        Assert.True(Path.IsPathRooted(o.OutputRoot));
        Assert.InRange(o.Orders, 1, 5);
    }

    [Fact]
    public void Exp4_NeedsTheExp1Policy_AndSaysSo()
    {
        // Exp. 4 starts from the policy Exp. 1 leaves in runs/exp1; without it the error names the key and the file.
        var path = RepoFile("cluster-config", "exp4-reward-model-and-dft-from-exp1.json");
        var policy = RepoFile("runs", "exp1", "policy.safetensors");
        if (File.Exists(policy))
        {
            Assert.Equal(policy, CampaignOptions.Load(path).InitialPolicy);
            return;
        }
        var e = Assert.Throws<CampaignConfigException>(() => CampaignOptions.Load(path));
        Assert.Contains("initial_policy", e.Message);
        Assert.Contains(Path.Combine("runs", "exp1", "policy.safetensors"), e.Message);
    }

    [Fact]
    public void Exp1On2Cores_UsesFiveStepDoubleDqnInOneOrder()
    {
        var o = CampaignOptions.Load(RepoFile("cluster-config", "exp1-2core.json"));
        Assert.Equal(5, o.Dqn.NStep);
        Assert.True(o.Dqn.DoubleDqn);
        Assert.Equal(5e-4, o.Dqn.LearningRate);
        Assert.Equal(1, o.Orders);
        Assert.Equal(0, o.DftEvery);
        // The paper's own Exp. 1 keeps one-step DQN and its schedule.
        var paper = CampaignOptions.Load(RepoFile("cluster-config", "exp1-reward-model-only.json"));
        Assert.Equal(1, paper.Dqn.NStep);
        Assert.Equal(1e-5, paper.Epsilon.DecayRate);
        Assert.Equal(1000, paper.Dqn.TargetUpdateEvery);
    }

    [Theory]
    [InlineData("""{ "orders": 0 }""", "orders")]
    [InlineData("""{ "orders": 6 }""", "orders")]
    [InlineData("""{ "dqn": { "n_step": 0 } }""", "dqn.n_step")]
    [InlineData("""{ "dqn": { "learning_rate": 0 } }""", "dqn.learning_rate")]
    [InlineData("""{ "dqn": { "n_stepp": 3 } }""", "n_stepp")]
    [InlineData("""{ "episodes": 10, """, "invalid JSON")]
    [InlineData("""{ "dft": { "launcher": "mpiexec" } }""", "dft.launcher")]
    [InlineData("""{ "dft": { "launcher": "none", "mpi_ranks": 4 } }""", "dft.mpi_ranks")]
    [InlineData("""{ "dft": { "lease_seconds": 0 } }""", "dft.lease_seconds")]
    [InlineData("""{ "dft": { "runners": 0 } }""", "dft.runners")]
    [InlineData("""{ "dqn": { "device": "gpu" } }""", "dqn.device")]
    [InlineData("""{ "dqn": { "target_update_every": 0 } }""", "dqn.target_update_every")]
    [InlineData("""{ "dqn": { "publish_every": 0 } }""", "dqn.publish_every")]
    [InlineData("""{ "vocabulary": ["Na", "Xx"] }""", "'Xx' is not an element")]
    [InlineData("""{ "vocabulary": ["Na", "Na"] }""", "listed twice")]
    [InlineData("""{ "epsilon": { "decay_rate": -1 } }""", "epsilon.decay_rate")]
    [InlineData("""{ "relax": { "fmax": 0 } }""", "relax.fmax")]
    [InlineData("""{ "reward_model": { "replay_ratio": 2 } }""", "reward_model.replay_ratio")]
    [InlineData("""{ "dft": { "ecut_wfc_ry": -30 } }""", "dft.ecut_wfc_ry")]
    [InlineData("""{ "offline_cql": { "checkpoint_every": 0 } }""", "offline_cql")]
    [InlineData("""{ "wall_time_minutes": 0 }""", "wall_time_minutes")]
    [InlineData("""{ "target_gap_ev": 1e300 }""", "target_gap_ev")]
    [InlineData("""{ "skeleton": { "material_ids": [] } }""", "skeleton.material_ids")]
    [InlineData("""{ "reward_model": { "finetune_pair": "both" } }""", "reward_model.finetune_pair")]
    [InlineData("""{ "relax": { "device": "cuda:-1" } }""", "relax.device")]
    [InlineData("""{ "reward_model": { "device": "" } }""", "reward_model.device")]
    [InlineData("""{ "offline_cql": { "device": "cuda0" } }""", "offline_cql.device")]
    [InlineData("""{ "learner": "ppo" }""", "learner")]
    [InlineData("""{ "grpo": { "group_size": 0 } }""", "grpo.group_size")]
    [InlineData("""{ "grpo": { "temperature": -1 } }""", "grpo.temperature")]
    [InlineData("""{ "grpo": { "device": "tpu" } }""", "grpo.device")]
    [InlineData("""{ "reward": { "components": [{ "kind": "beauty" }] } }""", "'beauty' is not a component")]
    [InlineData("""{ "reward": { "components": [{ "kind": "energy", "normalize": "minmax" }] } }""", "reward.components.energy.normalize")]
    [InlineData("""{ "reward": { "components": [{ "kind": "energy" }, { "kind": "energy" }] } }""", "listed twice")]
    [InlineData("""{ "reward": { "components": [{ "kind": "creativity" }], "setup": { "reference": "/nonexistent.jsonl" } } }""", "reward.setup.reference")]
    [InlineData("""{ "skeleton": { "material_ids": [], "pool": { "max_sites": 30 } } }""", "skeleton.pool.max_sites")]
    public void BadConfig_IsAnErrorNamingTheFileAndField(string json, string field)
    {
        var path = Write(json);
        try
        {
            var e = Assert.Throws<CampaignConfigException>(() => CampaignOptions.Load(path));
            Assert.Contains(path, e.Message);
            Assert.Contains(field, e.Message);
        }
        finally { File.Delete(path); }
    }
}
