using System.Text.Json;

namespace CrystalActors.Crystals.Io;

/// <summary>Reads a JSON config into <typeparamref name="T"/>; every fault is one <paramref name="error"/>(path, reason).</summary>
public static class JsonConfigFile
{
    public static T Read<T>(string path, JsonSerializerOptions options, Func<string, string, Exception> error) where T : class
    {
        if (!File.Exists(path)) throw error(path, "the file does not exist");
        try
        {
            return JsonSerializer.Deserialize<T>(File.ReadAllText(path), options) ?? throw error(path, "the file is empty");
        }
        catch (JsonException e)
        {
            var where = e.Path is { Length: > 0 } p ? $" at {p}" : "";
            var line = e.LineNumber is { } l ? $" (line {l + 1})" : "";
            throw error(path, $"invalid JSON{where}{line}: {e.Message}");
        }
    }
}
