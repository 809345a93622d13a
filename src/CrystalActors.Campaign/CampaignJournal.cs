using System.Text.Json;

namespace CrystalActors.Campaign;

/// <summary>How campaign events and snapshots are written to the SQLite journal (type name + JSON).</summary>
public static class CampaignJournal
{
    public const string Entity = "campaign";

    private static readonly JsonSerializerOptions Json = new() { IncludeFields = false };

    private static readonly Dictionary<string, Type> Types = new[]
    {
        typeof(EpisodeCompleted), typeof(DftRequested), typeof(DftFinished), typeof(ModelVersionRegistered), typeof(GreedyEvaluated),
    }.ToDictionary(t => t.Name);

    public static (string Type, string Data) Encode(CampaignEvent e) => (e.GetType().Name, JsonSerializer.Serialize(e, e.GetType(), Json));

    public static CampaignEvent Decode(string type, string data) =>
        Types.TryGetValue(type, out var t)
            ? (CampaignEvent)(JsonSerializer.Deserialize(data, t, Json) ?? throw new InvalidDataException($"campaign journal: empty {type} event"))
            : throw new InvalidDataException($"campaign journal: unknown event type '{type}' (written by a newer version?)");

    public static CampaignState Apply(CampaignState s, string type, string data) => s.Apply(Decode(type, data));

    public static string Serialize(CampaignState s) => JsonSerializer.Serialize(s, Json);

    public static CampaignState Deserialize(string json) =>
        JsonSerializer.Deserialize<CampaignState>(json, Json) ?? throw new InvalidDataException("campaign journal: empty snapshot");
}
