using System.Collections.Immutable;
using System.Text.Json;
using CrystalActors.Runtime.Messages;

namespace CrystalActors.Runtime.Persistence;

/// <summary>One registered model version (weights in the content store).</summary>
public sealed record ModelVersion(long Version, string Path, string Sha256, DateTimeOffset At);

/// <summary>Command: register the next version of a model whose weights are already in the content store.</summary>
public sealed record RegisterModelVersion(string ModelName, string Path, string Sha256, DateTimeOffset At);

/// <summary>
/// Pure event-sourced model registry (STYLE.md §4): <see cref="Handle"/> validates a command and returns
/// the events plus the notice to publish; <see cref="Apply"/> folds an event. Versions count from 1 per model.
/// </summary>
public sealed record ModelRegistryState(ImmutableSortedDictionary<string, ImmutableList<ModelVersion>> Models)
{
    public const string Entity = "model-registry";
    public const string VersionRegistered = "ModelVersionRegistered";

    public static ModelRegistryState Empty { get; } = new(ImmutableSortedDictionary<string, ImmutableList<ModelVersion>>.Empty.WithComparers(StringComparer.Ordinal));

    public ModelVersion? Latest(string model) => Models.TryGetValue(model, out var v) && v.Count > 0 ? v[^1] : null;

    public (IReadOnlyList<(string Type, string Data)> Events, ModelVersionPublished Notice) Handle(RegisterModelVersion cmd)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(cmd.ModelName);
        if (cmd.Sha256.Length != 64 || !cmd.Sha256.All(Uri.IsHexDigit))
            throw new ArgumentException($"sha256 '{cmd.Sha256}' of model {cmd.ModelName} is not 64 hex digits", nameof(cmd));
        var version = (Latest(cmd.ModelName)?.Version ?? 0) + 1;
        var evt = new ModelRegisteredEvent(cmd.ModelName, version, cmd.Path, cmd.Sha256, cmd.At);
        return ([(VersionRegistered, JsonSerializer.Serialize(evt))], new ModelVersionPublished(cmd.ModelName, version, cmd.Path, cmd.Sha256));
    }

    public static ModelRegistryState Apply(ModelRegistryState s, string type, string data)
    {
        if (type != VersionRegistered) throw new InvalidDataException($"model registry journal holds unknown event type '{type}'");
        var e = JsonSerializer.Deserialize<ModelRegisteredEvent>(data) ?? throw new InvalidDataException("empty ModelVersionRegistered event");
        var list = s.Models.TryGetValue(e.ModelName, out var v) ? v : ImmutableList<ModelVersion>.Empty;
        return s with { Models = s.Models.SetItem(e.ModelName, list.Add(new ModelVersion(e.Version, e.Path, e.Sha256, e.At))) };
    }

    public string Serialize() => JsonSerializer.Serialize(Models.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray()));

    public static ModelRegistryState Deserialize(string json)
    {
        var d = JsonSerializer.Deserialize<Dictionary<string, ModelVersion[]>>(json) ?? [];
        return new ModelRegistryState(d.ToImmutableSortedDictionary(kv => kv.Key, kv => kv.Value.ToImmutableList(), StringComparer.Ordinal));
    }

    private sealed record ModelRegisteredEvent(string ModelName, long Version, string Path, string Sha256, DateTimeOffset At);

    /// <summary>The registry as a journaled entity in <paramref name="journal"/>.</summary>
    public static PersistentEntity<ModelRegistryState> InJournal(EventJournal journal, int snapshotEvery = 50) =>
        new(journal, Entity, Empty, Apply, s => s.Serialize(), Deserialize, snapshotEvery);
}
