using CrystalActors.Runtime.Persistence;
using CrystalActors.Crystals.Io;

namespace CrystalActors.Campaign.Roles;

/// <summary>Weights go through the content-addressed store: written once, referenced by (path, sha256), verified on load.</summary>
public static class ModelFiles
{
    /// <summary>Moves a freshly written file into the store and returns its reference.</summary>
    public static async Task<ContentRef> StoreAsync(ContentStore store, string writtenFile, CancellationToken ct = default)
    {
        ContentRef r;
        await using (var s = File.OpenRead(writtenFile)) r = await store.PutAsync(s, ct).ConfigureAwait(false);
        File.Delete(writtenFile);
        return r;
    }

    /// <summary>Checks a received file against the hash its notice carried before anything loads it.</summary>
    public static void Verify(string path, string sha256)
    {
        var actual = DataFile.Sha256(path);
        if (!string.Equals(actual, sha256, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"{path}: sha256 is {actual}, the notice said {sha256}; refusing to load it");
    }

    /// <summary>A scratch path for a file about to be stored (same filesystem as the store).</summary>
    public static string Scratch(ContentStore store, string name) =>
        Path.Combine(Directory.CreateDirectory(Path.Combine(store.Root, "tmp")).FullName, $"{name}.{Guid.NewGuid():N}.safetensors");
}
