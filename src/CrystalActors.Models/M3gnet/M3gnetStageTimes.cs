using System.Diagnostics;

namespace CrystalActors.Models.M3gnet;

/// <summary>
/// Wall-clock seconds that <see cref="M3gnetPotential"/> spent in each stage of its calls, summed since the last
/// <see cref="Reset"/>, with the sizes of the graphs evaluated. The benchmark prints them per batch size to show
/// which stage grows with the batch. Stages: <see cref="Graph"/> (radius graphs and their concatenation),
/// <see cref="ThreeBody"/> (triple indices), <see cref="Forward"/> (input tensors and the network up to the
/// energies), <see cref="Backward"/> (autograd for forces and stress, copy-out of the results).
/// </summary>
public sealed class M3gnetStageTimes
{
    public double Graph { get; private set; }
    public double ThreeBody { get; private set; }
    public double Forward { get; private set; }
    public double Backward { get; private set; }
    public double Total => Graph + ThreeBody + Forward + Backward;
    /// <summary>Potential calls (batches).</summary>
    public int Calls { get; private set; }
    public long Structures { get; private set; }
    public long Atoms { get; private set; }
    public long Edges { get; private set; }
    public long Triples { get; private set; }

    public void Reset()
    {
        Graph = ThreeBody = Forward = Backward = 0;
        Calls = 0;
        Structures = Atoms = Edges = Triples = 0;
    }

    /// <summary>A copy of the current sums.</summary>
    public M3gnetStageTimes Clone() => (M3gnetStageTimes)MemberwiseClone();

    internal void AddCall(int structures, long atoms, long edges, long triples)
    {
        Calls++;
        Structures += structures;
        Atoms += atoms;
        Edges += edges;
        Triples += triples;
    }

    internal void AddGraph(long t0) => Graph += Stopwatch.GetElapsedTime(t0).TotalSeconds;
    internal void AddThreeBody(long t0) => ThreeBody += Stopwatch.GetElapsedTime(t0).TotalSeconds;
    internal void AddForward(long t0) => Forward += Stopwatch.GetElapsedTime(t0).TotalSeconds;
    internal void AddBackward(long t0) => Backward += Stopwatch.GetElapsedTime(t0).TotalSeconds;
}
