namespace CrystalActors.Campaign.Reporting;

/// <summary>
/// The campaign's scalars, by tag (charts/episode_reward, dft/gap_ev, greedy/mean_reward, ...): long-form CSV
/// (wall_time, step, tag, value) for pandas, and TensorBoard event files under tensorboard/ for `tensorboard --logdir`.
/// Both append across restarts.
/// </summary>
public sealed class CampaignScalars : IDisposable
{
    private readonly StreamWriter _writer;
    private readonly CrystalActors.Learning.Offline.TensorBoardWriter _tensorboard;

    public CampaignScalars(string runDirectory)
    {
        Directory.CreateDirectory(runDirectory);
        var path = Path.Combine(runDirectory, "scalars.csv");
        bool exists = File.Exists(path);
        _writer = new StreamWriter(path, append: true) { AutoFlush = true };
        if (!exists) _writer.WriteLine("wall_time,step,tag,value");
        _tensorboard = new CrystalActors.Learning.Offline.TensorBoardWriter(Path.Combine(runDirectory, "tensorboard"));
    }

    public void Write(long step, string tag, double value)
    {
        _writer.WriteLine(FormattableString.Invariant($"{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0:F3},{step},{tag},{value:G8}"));
        if (double.IsFinite(value)) _tensorboard.AddScalar(tag, value, step);
    }

    /// <summary>Flushes the TensorBoard file (called every progress tick: a killed node loses at most that much).</summary>
    public void Flush() => _tensorboard.Flush();

    public void Dispose()
    {
        _writer.Dispose();
        _tensorboard.Dispose();
    }
}
