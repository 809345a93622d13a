using System.Security.Cryptography;

namespace CrystalActors.Runtime.Persistence;

/// <summary>Address of a blob in the content store: its path and lowercase hex SHA-256.</summary>
public sealed record ContentRef(string Path, string Sha256, long Bytes);

/// <summary>
/// Content-addressed directory for large payloads (model weights, checkpoints) that never go through the
/// broker. A blob lives at <c>root/ab/cdef…</c> named by its SHA-256; writes go to a temp file and are
/// renamed into place, so a reader never sees a partial blob. Receivers check the hash before loading (ModelFiles.Verify).
/// </summary>
public sealed class ContentStore
{
    public ContentStore(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        Root = Path.GetFullPath(root);
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public async Task<ContentRef> PutAsync(Stream content, CancellationToken ct = default)
    {
        var tmp = Path.Combine(Root, $".tmp-{Guid.NewGuid():N}");
        string hash;
        long bytes;
        await using (var file = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
        using (var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
        {
            var buf = new byte[1 << 16];
            int n;
            while ((n = await content.ReadAsync(buf, ct).ConfigureAwait(false)) > 0)
            {
                sha.AppendData(buf, 0, n);
                await file.WriteAsync(buf.AsMemory(0, n), ct).ConfigureAwait(false);
            }
            await file.FlushAsync(ct).ConfigureAwait(false);
            // On disk before the rename, as AtomicFile does: the journal refers to this file by its hash, so after a
            // crash it must be whole wherever the journal's event survived. (Its name is known only once hashed,
            // hence not AtomicFile itself.)
            file.Flush(flushToDisk: true);
            bytes = file.Length;
            hash = Convert.ToHexStringLower(sha.GetHashAndReset());
        }
        var final = PathFor(hash);
        Directory.CreateDirectory(Path.GetDirectoryName(final)!);
        if (File.Exists(final)) File.Delete(tmp); // same content already stored
        else File.Move(tmp, final);
        return new ContentRef(final, hash, bytes);
    }

    public Task<ContentRef> PutAsync(byte[] content, CancellationToken ct = default) => PutAsync(new MemoryStream(content, writable: false), ct);

    public string PathFor(string sha256) => Path.Combine(Root, sha256[..2], sha256[2..]);
}
