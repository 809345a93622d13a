namespace CrystalActors.Crystals.Neighbors;

/// <summary>
/// Directed periodic neighbour pairs as parallel arrays (struct-of-arrays, for graph builders): pair k says
/// that site <c>Neighbors[k]</c> translated by <c>Images[k]</c> lies within the cutoff of site <c>Centers[k]</c>,
/// at <c>Distances[k]</c> Å, with Cartesian bond vector <c>Vectors[k]</c> = cart(frac_j + image) - cart(frac_i).
/// Images are relative to the fractional coordinates as stored in the structure (not wrapped).
/// Both directions of every pair are present. Pairs are ordered by centre, then neighbour, then image.
/// </summary>
public sealed class NeighborList
{
    public NeighborList(double cutoff, int numSites, int[] centers, int[] neighbors, LatticeImage[] images, double[] distances, Vec3[] vectors)
    {
        int n = centers.Length;
        if (neighbors.Length != n || images.Length != n || distances.Length != n || vectors.Length != n)
            throw new ArgumentException("neighbour arrays must have equal lengths");
        Cutoff = cutoff;
        NumSites = numSites;
        Centers = centers;
        Neighbors = neighbors;
        Images = images;
        Distances = distances;
        Vectors = vectors;
    }

    /// <summary>Cutoff radius in Å (pairs with distance ≤ cutoff are included).</summary>
    public double Cutoff { get; }
    public int NumSites { get; }
    public int Count => Centers.Length;
    public int[] Centers { get; }
    public int[] Neighbors { get; }
    public LatticeImage[] Images { get; }
    /// <summary>Distances in Å.</summary>
    public double[] Distances { get; }
    /// <summary>Bond vectors in Å, from the centre to the neighbour image.</summary>
    public Vec3[] Vectors { get; }

    /// <summary>Index of the first pair of each centre: pairs of centre i are [Offsets[i], Offsets[i+1]).</summary>
    public int[] CenterOffsets()
    {
        var offsets = new int[NumSites + 1];
        foreach (int c in Centers) offsets[c + 1]++;
        for (int i = 0; i < NumSites; i++) offsets[i + 1] += offsets[i];
        return offsets;
    }
}
