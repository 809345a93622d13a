namespace CrystalActors.Learning.Offline;

/// <summary>
/// A tiny deterministic generator (Steele et al.'s SplitMix64) whose whole state is one 64-bit word, so a
/// checkpoint can store it and a resumed run draws exactly the same minibatches as an uninterrupted one
/// (libtorch's generator state is not reachable through the torch layer).
/// </summary>
public sealed class SplitMix64
{
    public ulong State { get; set; }

    public SplitMix64(ulong seed) => State = seed;

    public ulong NextUInt64()
    {
        ulong z = State += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform integer in [0, n) by Lemire's multiply-shift (bias below 2^-32 for n below 2^32).</summary>
    public int NextInt(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), n, "the range must be positive");
        return (int)((NextUInt64() >> 32) * (ulong)n >> 32);
    }

    /// <summary>Uniform double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));
}
