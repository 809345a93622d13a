namespace CrystalActors.Crystals.Graphs;

/// <summary>One face of a Voronoi cell: the part of the bisector plane between the centre and one neighbour.</summary>
/// <param name="Neighbor">Index of the neighbour point in the array handed to <see cref="VoronoiCell.Compute"/>.</param>
/// <param name="SolidAngle">Solid angle of the face polygon seen from the centre, in steradians (pymatgen's <c>solid_angle</c>).</param>
/// <param name="Area">Area of the face polygon in Å².</param>
/// <param name="VertexCount">Number of polygon vertices.</param>
public readonly record struct VoronoiFace(int Neighbor, double SolidAngle, double Area, int VertexCount);

/// <summary>
/// The Voronoi cell of the origin among a set of neighbour points, built by clipping a large cube with the
/// bisector plane of every neighbour (the half-space <c>x·p ≤ |p|²/2</c>), nearest neighbour first.
/// </summary>
/// <remarks>
/// This replaces the Qhull call in pymatgen's <c>VoronoiNN</c>. Qhull reports a ridge between two points only
/// when their cells share a genuine 2-D facet (at least 3 Voronoi vertices after merging near-coplanar facets);
/// here a plane that only touches the cell in a vertex or along an edge (within <see cref="PlaneTolerance"/>)
/// does not create a face, which is the same rule. Faces of near-zero area may still differ from Qhull's, but
/// their solid angle rounds to weight 0 in CrystalNN and they are dropped there.
/// Not thread-safe per instance; use one instance per thread (it reuses its buffers between calls).
/// </remarks>
public sealed class VoronoiCell
{
    /// <summary>Distance (Å) below which a vertex counts as lying on a cutting plane.</summary>
    public const double PlaneTolerance = 1e-9;

    // Vertex pool: positions relative to the centre; vertices cut away are simply never referenced again.
    private double[] _vx = new double[256], _vy = new double[256], _vz = new double[256];
    private double[] _side = new double[256];
    private int _vertexCount;

    private readonly List<FaceBuffer> _faces = new();
    private readonly Stack<FaceBuffer> _spare = new();
    private readonly List<int> _newFaceVertices = new();
    private readonly List<(int Inside, int Outside, int Created)> _crossings = new();
    private readonly List<int> _scratch = new();
    private readonly List<double> _angles = new();

    private sealed class FaceBuffer
    {
        public int Neighbor;
        public List<int> Vertices = new();
        public List<int> Next = new();
    }

    /// <summary>
    /// Computes the cell of the origin. <paramref name="points"/> are neighbour positions relative to the centre
    /// (Å) and must be sorted by increasing distance: clipping stops at the first plane beyond the cell's current
    /// circumradius, since no later plane can cut it.
    /// </summary>
    /// <param name="points">Neighbour positions relative to the centre, nearest first.</param>
    /// <param name="boxHalfWidth">Half-width of the starting cube; it must exceed the final cell's extent.</param>
    /// <param name="faces">Receives the faces, in no particular order.</param>
    /// <returns>false if the cell is unbounded within the starting cube (a cube face survived); pymatgen's
    /// equivalent is Qhull's infinite vertex, upon which it retries with a larger cutoff.</returns>
    public bool Compute(ReadOnlySpan<Vec3> points, double boxHalfWidth, List<VoronoiFace> faces)
    {
        faces.Clear();
        Reset(boxHalfWidth);
        double maxRadius2 = 3 * boxHalfWidth * boxHalfWidth;
        for (int n = 0; n < points.Length; n++)
        {
            Vec3 p = points[n];
            double len2 = p.LengthSquared;
            double halfDistance = 0.5 * Math.Sqrt(len2);
            if (halfDistance * halfDistance > maxRadius2 + 1e-6)
                break; // sorted input: this and all later planes lie beyond every vertex
            if (Clip(p, len2, n))
                maxRadius2 = MaxVertexRadius2();
        }

        foreach (var face in _faces)
        {
            if (face.Neighbor < 0)
                return false;
            faces.Add(Measure(face));
        }
        return true;
    }

    private void Reset(double b)
    {
        foreach (var f in _faces) _spare.Push(f);
        _faces.Clear();
        _vertexCount = 0;
        for (int i = 0; i < 8; i++)
            AddVertex((i & 1) == 0 ? -b : b, (i & 2) == 0 ? -b : b, (i & 4) == 0 ? -b : b);
        // Cube faces, ordered around each face; the box faces carry negative neighbour ids.
        AddBoxFace(-1, 0, 2, 6, 4); // x = -b
        AddBoxFace(-2, 1, 5, 7, 3); // x = +b
        AddBoxFace(-3, 0, 4, 5, 1); // y = -b
        AddBoxFace(-4, 2, 3, 7, 6); // y = +b
        AddBoxFace(-5, 0, 1, 3, 2); // z = -b
        AddBoxFace(-6, 4, 6, 7, 5); // z = +b
    }

    private void AddBoxFace(int id, int a, int b, int c, int d)
    {
        var f = NewFace(id);
        f.Vertices.Add(a); f.Vertices.Add(b); f.Vertices.Add(c); f.Vertices.Add(d);
        _faces.Add(f);
    }

    private FaceBuffer NewFace(int neighbor)
    {
        var f = _spare.Count > 0 ? _spare.Pop() : new FaceBuffer();
        f.Neighbor = neighbor;
        f.Vertices.Clear();
        return f;
    }

    private int AddVertex(double x, double y, double z)
    {
        if (_vertexCount == _vx.Length)
        {
            Array.Resize(ref _vx, 2 * _vx.Length);
            Array.Resize(ref _vy, 2 * _vy.Length);
            Array.Resize(ref _vz, 2 * _vz.Length);
            Array.Resize(ref _side, 2 * _side.Length);
        }
        _vx[_vertexCount] = x; _vy[_vertexCount] = y; _vz[_vertexCount] = z;
        return _vertexCount++;
    }

    private double MaxVertexRadius2()
    {
        double max = 0;
        foreach (var f in _faces)
            foreach (int v in f.Vertices)
            {
                double r2 = _vx[v] * _vx[v] + _vy[v] * _vy[v] + _vz[v] * _vz[v];
                if (r2 > max) max = r2;
            }
        return max;
    }

    /// <summary>Cuts the cell with the half-space x·p ≤ |p|²/2. Returns true if the cell changed.</summary>
    private bool Clip(Vec3 p, double len2, int neighbor)
    {
        double invLen = 1.0 / Math.Sqrt(len2);
        double half = 0.5 * len2;
        // Signed distance (Å) of every live vertex; positive = outside (closer to the neighbour).
        bool anyOutside = false;
        int liveCount = _vertexCount;
        for (int v = 0; v < liveCount; v++)
            _side[v] = double.NaN;
        foreach (var f in _faces)
            foreach (int v in f.Vertices)
            {
                if (!double.IsNaN(_side[v])) continue;
                double s = (_vx[v] * p.X + _vy[v] * p.Y + _vz[v] * p.Z - half) * invLen;
                _side[v] = s;
                if (s > PlaneTolerance) anyOutside = true;
            }
        if (!anyOutside)
            return false;

        _crossings.Clear();
        _newFaceVertices.Clear();
        for (int fi = _faces.Count - 1; fi >= 0; fi--)
        {
            var face = _faces[fi];
            var verts = face.Vertices;
            var kept = face.Next;
            kept.Clear();
            int n = verts.Count;
            for (int k = 0; k < n; k++)
            {
                int a = verts[k], b = verts[(k + 1) % n];
                double da = _side[a], db = _side[b];
                if (da <= PlaneTolerance)
                {
                    kept.Add(a);
                    if (da >= -PlaneTolerance) AddUnique(_newFaceVertices, a);
                }
                if ((da < -PlaneTolerance && db > PlaneTolerance) || (da > PlaneTolerance && db < -PlaneTolerance))
                {
                    int c = Crossing(da < 0 ? a : b, da < 0 ? b : a);
                    kept.Add(c);
                    AddUnique(_newFaceVertices, c);
                }
            }
            if (kept.Count < 3)
            {
                _faces.RemoveAt(fi);
                _spare.Push(face);
            }
            else
            {
                face.Next = verts;
                face.Vertices = kept;
            }
        }

        if (_newFaceVertices.Count >= 3)
        {
            var f = NewFace(neighbor);
            if (OrderAroundAxis(_newFaceVertices, p, f.Vertices))
                _faces.Add(f);
            else
                _spare.Push(f);
        }
        return true;
    }

    private static void AddUnique(List<int> list, int v)
    {
        if (!list.Contains(v)) list.Add(v);
    }

    /// <summary>The point where edge (inside, outside) meets the plane, created once per edge so that both
    /// faces sharing the edge refer to the same vertex.</summary>
    private int Crossing(int inside, int outside)
    {
        foreach (var c in _crossings)
            if (c.Inside == inside && c.Outside == outside)
                return c.Created;
        double di = _side[inside], dout = _side[outside];
        double t = di / (di - dout);
        int created = AddVertex(
            _vx[inside] + t * (_vx[outside] - _vx[inside]),
            _vy[inside] + t * (_vy[outside] - _vy[inside]),
            _vz[inside] + t * (_vz[outside] - _vz[inside]));
        _side[created] = 0;
        _crossings.Add((inside, outside, created));
        return created;
    }

    /// <summary>Orders the vertices of the new (convex) face by angle around the plane normal. Returns false when
    /// the vertices do not span a polygon (all within rounding of one point).</summary>
    private bool OrderAroundAxis(List<int> vertices, Vec3 normal, List<int> into)
    {
        double cx = 0, cy = 0, cz = 0;
        foreach (int v in vertices) { cx += _vx[v]; cy += _vy[v]; cz += _vz[v]; }
        cx /= vertices.Count; cy /= vertices.Count; cz /= vertices.Count;
        // Reference direction: the vertex farthest from the centroid, so it is never (nearly) zero.
        Vec3 u = Vec3.Zero;
        foreach (int v in vertices)
        {
            var d = new Vec3(_vx[v] - cx, _vy[v] - cy, _vz[v] - cz);
            if (d.LengthSquared > u.LengthSquared) u = d;
        }
        if (u.LengthSquared < PlaneTolerance * PlaneTolerance)
            return false;
        u = u / u.Length;
        var w = normal.Cross(u);
        w = w / w.Length;
        _angles.Clear();
        _scratch.Clear();
        foreach (int v in vertices)
        {
            var d = new Vec3(_vx[v] - cx, _vy[v] - cy, _vz[v] - cz);
            _angles.Add(Math.Atan2(d.Dot(w), d.Dot(u)));
            _scratch.Add(_scratch.Count);
        }
        _scratch.Sort((i, j) => _angles[i].CompareTo(_angles[j]));
        into.Clear();
        foreach (int k in _scratch) into.Add(vertices[k]);
        return true;
    }

    private VoronoiFace Measure(FaceBuffer face)
    {
        var verts = face.Vertices;
        int n = verts.Count;
        var r0 = Vertex(verts[0]);
        double n0 = r0.Length;
        double angle = 0, area2 = 0;
        for (int i = 1; i < n - 1; i++)
        {
            var ri = Vertex(verts[i]);
            var rj = Vertex(verts[i + 1]);
            angle += TriangleSolidAngle(r0, n0, ri, rj);
            area2 += (ri - r0).Cross(rj - r0).Length;
        }
        return new VoronoiFace(face.Neighbor, angle, 0.5 * area2, n);
    }

    private Vec3 Vertex(int v) => new(_vx[v], _vy[v], _vz[v]);

    /// <summary>
    /// Solid angle of the triangle (r0, ri, rj) seen from the origin (Van Oosterom–Strackee), exactly as
    /// pymatgen's <c>solid_angle</c> accumulates it, including its branch handling of the arctangent.
    /// </summary>
    internal static double TriangleSolidAngle(Vec3 r0, double n0, Vec3 ri, Vec3 rj)
    {
        double ni = ri.Length, nj = rj.Length;
        double tp = Math.Abs(r0.Dot(ri.Cross(rj)));
        double de = n0 * ni * nj + nj * r0.Dot(ri) + ni * r0.Dot(rj) + n0 * ri.Dot(rj);
        // A degenerate (zero-area) fan triangle: pymatgen's branch would add 2π here. Qhull does not hand it
        // collinear vertex triples, but the clipping can, so such a triangle contributes its true value, 0.
        if (tp == 0 && de > 0) return 0;
        double a = de == 0 ? (tp > 0 ? 0.5 * Math.PI : -0.5 * Math.PI) : Math.Atan(tp / de);
        return (a > 0 ? a : a + Math.PI) * 2;
    }
}
