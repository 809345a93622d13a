using CrystalActors.Crystals;
using CrystalActors.Models.Megnet;

namespace CrystalActors.Learning.Environments.Skeletons;

/// <summary>
/// The band-gap model as a function of a design task's assignments (vocabulary index per site), for
/// <see cref="OptimumSearch"/>. A skeleton's MEGNet graph (radius cutoff) depends on positions only, so it is built
/// once and only the node types change: hundreds of thousands of designs cost network time only.
/// </summary>
public sealed class SkeletonGapModel
{
    private readonly BandGapModel _model;
    private readonly MegnetGraph _template;
    private readonly int[] _typeOfVocabulary;

    public SkeletonGapModel(BandGapModel model, DesignTask task, Fidelity fidelity)
    {
        _model = model;
        var skeleton = task.Skeleton;
        // The type index of each vocabulary element: a skeleton filled with that element alone.
        var graphs = task.Vocabulary.Select(e => model.GraphBuilder.Build(
            Structure.FromSpecies(skeleton.Lattice, Enumerable.Repeat(e, skeleton.NumSites).ToArray(), skeleton.FracCoords.ToArray()), (int)fidelity)).ToArray();
        _template = graphs[0];
        if (graphs.Any(g => !g.Src.SequenceEqual(_template.Src) || !g.Dst.SequenceEqual(_template.Dst)))
            throw new InvalidOperationException("the band-gap model's graph depends on the species; build each design's graph instead");
        _typeOfVocabulary = graphs.Select(g => g.NodeTypes![0]).ToArray();
    }

    public double[] Gaps(IReadOnlyList<int[]> assignments)
    {
        var graphs = assignments.Select(a => _template with { NodeTypes = a.Select(i => _typeOfVocabulary[i]).ToArray() }).ToArray();
        return _model.Predict(graphs, batchSize: 1024).GapsEv;
    }
}
