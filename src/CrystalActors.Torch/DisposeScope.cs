namespace CrystalActors.Torch;

/// <summary>
/// Every tensor created on this thread while a scope is open is owned by it and freed when it
/// closes, so a training step or inference batch releases its intermediates deterministically:
/// <code>
/// using (var scope = DisposeScope.Open())
/// {
///     var loss = model.Forward(x).MseLoss(y);
///     loss.Backward();
///     result = loss.Item();          // values leave the scope as numbers...
///     keep = scope.MoveToOuter(t);   // ...or tensors explicitly
/// }
/// </code>
/// Scopes nest; parameters and optimizer state are detached from scopes when registered.
/// </summary>
public sealed class DisposeScope : IDisposable
{
    [ThreadStatic] private static DisposeScope? _current;

    private readonly DisposeScope? _outer;
    private readonly List<Tensor> _owned = new();
    private bool _disposed;

    private DisposeScope(DisposeScope? outer) => _outer = outer;

    public static DisposeScope Open() => _current = new DisposeScope(_current);

    /// <summary>The innermost open scope of this thread, if any.</summary>
    public static DisposeScope? Current => _current;

    /// <summary>Tensors this scope still owns.</summary>
    public int OwnedCount => _owned.Count(t => t.Scope == this);

    internal static void Register(Tensor t)
    {
        var scope = _current;
        if (scope == null) return;
        t.Scope = scope;
        scope._owned.Add(t);
    }

    /// <summary>Hands <paramref name="t"/> to the enclosing scope (or to nobody at the outermost level).</summary>
    public Tensor MoveToOuter(Tensor t)
    {
        if (t.Scope != this) return t;
        t.Scope = null;
        if (_outer != null)
        {
            t.Scope = _outer;
            _outer._owned.Add(t);
        }
        return t;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var t in _owned)
            if (t.Scope == this) t.Dispose();
        _owned.Clear();
        // Scopes close in LIFO order on one thread; restore the outer one.
        if (_current == this) _current = _outer;
    }
}

/// <summary>Disables gradient recording until disposed (torch.no_grad()).</summary>
public readonly struct NoGradScope : IDisposable
{
    private readonly bool _previous;

    private NoGradScope(bool previous) => _previous = previous;

    public static NoGradScope Enter() => new(Native.NativeMethods.ct_set_grad_enabled(0) != 0);

    public void Dispose() => Native.NativeMethods.ct_set_grad_enabled(_previous ? 1 : 0);
}
