using System.Globalization;
using CsvHelper;

namespace CrystalActors.Campaign.Reporting;

/// <summary>
/// The campaign's scalars, by tag (charts/episode_reward, dft/gap_ev, greedy/mean_reward, ...; which step each sits at:
/// <see cref="CampaignCurves"/>): long-form CSV (wall_time, step, tag, value) for pandas, and TensorBoard event files
/// under tensorboard/ for `tensorboard --logdir`. Both append across restarts.
/// </summary>
public sealed class CampaignScalars : IDisposable
{
    private readonly CsvWriter _csv;
    private readonly CrystalActors.Learning.Offline.TensorBoardWriter _tensorboard;

    /// <summary>Whether this run's scalars.csv was created now (a new run, not a resumed one).</summary>
    public bool IsNew { get; }

    public CampaignScalars(string runDirectory)
    {
        Directory.CreateDirectory(runDirectory);
        var path = Path.Combine(runDirectory, "scalars.csv");
        IsNew = !File.Exists(path);
        // '\n' as the rows of earlier versions, which a resumed run appends to; a tag is quoted if it ever needs it.
        _csv = CsvWriter.Create(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read), new CsvWriterOptions { NewLine = "\n" }, leaveOpen: false);
        if (IsNew) _csv.WriteHeader(["wall_time", "step", "tag", "value"]);
        _tensorboard = new CrystalActors.Learning.Offline.TensorBoardWriter(Path.Combine(runDirectory, "tensorboard"));
    }

    public void Write(long step, string tag, double value)
    {
        var inv = CultureInfo.InvariantCulture;
        _csv.WriteRecord([(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0).ToString("F3", inv), step.ToString(inv), tag, value.ToString("G8", inv)]);
        _csv.Flush(); // a killed node loses no point
        if (double.IsFinite(value)) _tensorboard.AddScalar(tag, value, step);
    }

    public void Write(ScalarPoint point) => Write(point.Step, point.Tag, point.Value);

    public void Write(IEnumerable<ScalarPoint> points)
    {
        foreach (var p in points) Write(p);
    }

    /// <summary>A Markdown text for TensorBoard's Text tab (not a scalar: scalars.csv does not carry it).</summary>
    public void WriteText(string tag, string markdown) => _tensorboard.AddText(tag, markdown, 0);

    /// <summary>Flushes the TensorBoard file (called every progress tick: a killed node loses at most that much).</summary>
    public void Flush() => _tensorboard.Flush();

    public void Dispose()
    {
        _csv.Dispose();
        _tensorboard.Dispose();
    }
}
