namespace CrystalActors.Crystals.Matching;

/// <summary>
/// Minimum-cost perfect matching of a square cost matrix (the Hungarian method in its O(n³) shortest-augmenting-path
/// form, with row and column potentials). Plays the part of pymatgen's <c>LinearAssignment</c>. Entries of
/// <see cref="double.PositiveInfinity"/> are forbidden pairs.
/// </summary>
internal static class LinearAssignment
{
    /// <summary>
    /// Solves the n×n problem stored row-major in <paramref name="cost"/> and writes, for each row, its column into
    /// <paramref name="rowToColumn"/>. Returns false when every perfect matching uses a forbidden pair.
    /// </summary>
    public static bool Solve(ReadOnlySpan<double> cost, int n, Span<int> rowToColumn)
    {
        if (cost.Length < n * n || rowToColumn.Length < n)
            throw new ArgumentException($"a {n}×{n} problem needs {n * n} costs and {n} outputs");
        if (n == 0) return true;
        if (n == 1)
        {
            rowToColumn[0] = 0;
            return double.IsFinite(cost[0]);
        }
        // 1-based arrays: index 0 is the virtual root column of each augmenting search.
        bool small = n <= 256; // larger blocks go to the heap
        Span<double> u = small ? stackalloc double[n + 1] : new double[n + 1];
        Span<double> v = small ? stackalloc double[n + 1] : new double[n + 1];
        Span<int> rowOfColumn = small ? stackalloc int[n + 1] : new int[n + 1];
        Span<int> way = small ? stackalloc int[n + 1] : new int[n + 1];
        Span<double> minSlack = small ? stackalloc double[n + 1] : new double[n + 1];
        Span<bool> used = small ? stackalloc bool[n + 1] : new bool[n + 1];
        u.Clear(); v.Clear(); rowOfColumn.Clear(); way.Clear();
        for (int row = 1; row <= n; row++)
        {
            rowOfColumn[0] = row;
            int col0 = 0;
            minSlack.Fill(double.PositiveInfinity);
            used.Clear();
            do
            {
                used[col0] = true;
                int i0 = rowOfColumn[col0], col1 = 0;
                double delta = double.PositiveInfinity;
                int rowBase = (i0 - 1) * n;
                for (int j = 1; j <= n; j++)
                {
                    if (used[j]) continue;
                    double slack = cost[rowBase + j - 1] - u[i0] - v[j];
                    if (slack < minSlack[j]) { minSlack[j] = slack; way[j] = col0; }
                    if (minSlack[j] < delta) { delta = minSlack[j]; col1 = j; }
                }
                // Only forbidden pairs are left to extend the tree: no finite perfect matching exists.
                if (!double.IsFinite(delta)) return false;
                for (int j = 0; j <= n; j++)
                {
                    if (used[j]) { u[rowOfColumn[j]] += delta; v[j] -= delta; }
                    else minSlack[j] -= delta;
                }
                col0 = col1;
            } while (rowOfColumn[col0] != 0);
            do
            {
                int col1 = way[col0];
                rowOfColumn[col0] = rowOfColumn[col1];
                col0 = col1;
            } while (col0 != 0);
        }
        for (int j = 1; j <= n; j++) rowToColumn[rowOfColumn[j] - 1] = j - 1;
        return true;
    }
}
