using CrystalActors.Dft.Caching;
using CrystalActors.Dft.Execution;
using CrystalActors.Dft.Handlers;
using CrystalActors.Dft.Input;

namespace CrystalActors.Dft.Tests.Execution;

/// <summary>
/// Issue #19 through the whole service: a stand-in pw.x prints a stored output whatever its input, as a run that
/// picked up another job's file would. Only the output that belongs to the job may become a result.
/// </summary>
public sealed class DftServiceOutputCheckTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("ca-fake-pwx-");

    public void Dispose() => _dir.Delete(recursive: true);

    private static DftCell AgI => TestData.Run("val_mp-22894_A").Cell;

    private DftService ServicePrinting(string outputText, IDftResultCache cache)
    {
        string output = Path.Combine(_dir.FullName, "stored.out");
        File.WriteAllText(output, outputText);
        string script = Path.Combine(_dir.FullName, "pw.x");
        File.WriteAllText(script, $"#!/bin/sh\ncat '{output}'\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return new DftService(new DftServiceOptions
        {
            PseudoRoot = TestData.PseudoRoot,
            Runner = new PwRunnerOptions { PwExecutable = script, Launcher = PwLauncher.None, MpiRanks = 1, ScratchRoot = _dir.FullName },
        }, cache);
    }

    [Fact]
    public async Task RunAsync_OutputOfItsOwnCrystal_IsAResult()
    {
        var r = await ServicePrinting(TestData.Output("val_mp-22894_A"), new InMemoryDftResultCache()).RunAsync(AgI, DftProtocol.Sssp, "AgI");
        Assert.True(r.IsSuccess, r.FailureDetail);
        Assert.Equal(1.3764, r.BandGapEv!.Value, 10);
    }

    [Fact]
    public async Task RunAsync_OutputOfAnotherCrystal_FailsAsOutputMismatchAfterOneRetryAndIsNotCached()
    {
        var cache = new InMemoryDftResultCache();
        var service = ServicePrinting(TestData.Output("val_mp-22894_A"), cache);
        var si = new DftCell([[0, 2.715, 2.715], [2.715, 0, 2.715], [2.715, 2.715, 0]], ["Si", "Si"], [[0, 0, 0], [0.25, 0.25, 0.25]]);

        var r = await service.RunAsync(si, DftProtocol.Sssp, "Si");

        Assert.False(r.IsSuccess);
        Assert.Equal(DftFailureClass.OutputMismatch, r.FailureClass);
        Assert.Equal("pw.x computed 4 atoms, the input has 2", r.FailureDetail);
        Assert.Null(r.BandGapEv);
        Assert.Equal([PwErrorHandlers.RetryUnchanged, null], r.Attempts.Select(a => a.FixApplied));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public async Task RunAsync_HugeGapInItsOwnOutput_FailsAsUnphysicalAndIsCached()
    {
        var cache = new InMemoryDftResultCache();
        string text = TestData.Output("val_mp-22894_A").Replace("4.8426    6.2190", "4.8426 10000000000000000000000.0000");

        var r = await ServicePrinting(text, cache).RunAsync(AgI, DftProtocol.Sssp, "AgI");

        Assert.Equal(DftFailureClass.UnphysicalResult, r.FailureClass);
        Assert.StartsWith("band gap 1E+22 eV", r.FailureDetail);
        Assert.Null(r.BandGapEv);
        Assert.Single(r.Attempts);
        Assert.Equal(1, cache.Count);
    }
}
