using CrystalActors.Dft.Caching;
using CrystalActors.Dft.Handlers;
using CrystalActors.Dft.Input;

namespace CrystalActors.Dft.Tests.Caching;

public class JsonLinesDftResultCacheTests
{
    private static DftResult Sample => new()
    {
        Formula = "AgI2", NumSites = 4, Protocol = "sssp", ProtocolHash = "abc", Fingerprint = "f", Status = "ok",
        FailureClass = DftFailureClass.None, TotalEnergyRy = -1332.55668515, BandGapEv = 1.4031, ScfIterations = 7,
        Attempts = [new DftAttempt
        {
            Number = 1, Parameters = new PwParameters { EcutWfcRy = 50, EcutRhoRy = 280, KPoints = new KMesh(3, 3, 3) },
            InputText = "&CONTROL\n/", FailureClass = DftFailureClass.None, Detail = "ok", OutputText = "long output",
        }],
    };

    [Fact]
    public void Put_ThenReopen_ReturnsTheResultWithoutOutputText()
    {
        string path = Path.Combine(Path.GetTempPath(), $"dft-cache-{Guid.NewGuid():N}.jsonl");
        try
        {
            new JsonLinesDftResultCache(path).Put("k1", Sample);
            File.AppendAllText(path, "{\"key\": \"torn"); // a crash mid-append
            var reopened = new JsonLinesDftResultCache(path);
            Assert.Equal(1, reopened.Count);
            Assert.True(reopened.TryGet("k1", out var r));
            Assert.Equal(-1332.55668515, r.TotalEnergyRy);
            Assert.Equal(1.4031, r.BandGapEv);
            Assert.Equal(new KMesh(3, 3, 3), r.Attempts[0].Parameters.KPoints);
            Assert.Null(r.Attempts[0].OutputText);
            Assert.Equal("&CONTROL\n/", r.Attempts[0].InputText);
            Assert.False(reopened.TryGet("k2", out _));
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Issue #19: a line with "Result": null once crashed `dft run`; it is skipped like a torn line.</summary>
    [Fact]
    public void Reopen_ALineWithoutAResult_IsSkipped()
    {
        string path = Path.Combine(Path.GetTempPath(), $"dft-cache-{Guid.NewGuid():N}.jsonl");
        try
        {
            new JsonLinesDftResultCache(path).Put("k1", Sample);
            File.AppendAllText(path, "{\"Key\": \"k2\", \"Result\": null}\n{\"Result\": null}\n");
            var reopened = new JsonLinesDftResultCache(path);
            Assert.Equal(1, reopened.Count);
            Assert.True(reopened.TryGet("k1", out _));
            Assert.False(reopened.TryGet("k2", out _));
        }
        finally { File.Delete(path); }
    }
}
