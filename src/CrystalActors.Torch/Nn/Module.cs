namespace CrystalActors.Torch.Nn;

/// <summary>
/// A network building block with named parameters, buffers and sub-modules, as torch.nn.Module.
/// Subclasses register what they own in their constructor; names join with '.' into state-dict
/// keys ("blocks.0.edge_func.layers.1.weight"), so weight files from PyTorch code map one to one.
/// Parameters and buffers are detached from dispose scopes: the module owns and frees them.
/// </summary>
public abstract class Module : IDisposable
{
    private readonly List<KeyValuePair<string, Tensor>> _parameters = new();
    private readonly List<KeyValuePair<string, Tensor>> _buffers = new();
    private readonly List<KeyValuePair<string, Module>> _modules = new();
    private bool _disposed;

    public bool Training { get; private set; } = true;

    protected Tensor RegisterParameter(string name, Tensor value, bool requiresGrad = true)
    {
        CheckName(name);
        value.DetachFromDisposeScope();
        if (requiresGrad) value.RequiresGrad = true;
        _parameters.Add(new(name, value));
        return value;
    }

    protected Tensor RegisterBuffer(string name, Tensor value)
    {
        CheckName(name);
        value.DetachFromDisposeScope();
        _buffers.Add(new(name, value));
        return value;
    }

    protected T RegisterModule<T>(string name, T module) where T : Module
    {
        CheckName(name);
        _modules.Add(new(name, module));
        return module;
    }

    private void CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.'))
            throw new ArgumentException($"'{name}' is not a valid member name (non-empty, no '.').", nameof(name));
        if (_parameters.Any(p => p.Key == name) || _buffers.Any(p => p.Key == name) || _modules.Any(p => p.Key == name))
            throw new ArgumentException($"'{name}' is already registered on {GetType().Name}.", nameof(name));
    }

    public IEnumerable<KeyValuePair<string, Module>> NamedChildren() => _modules;

    public IEnumerable<KeyValuePair<string, Tensor>> NamedParameters(string prefix = "")
    {
        foreach (var p in _parameters) yield return new(prefix + p.Key, p.Value);
        foreach (var m in _modules)
            foreach (var p in m.Value.NamedParameters(prefix + m.Key + "."))
                yield return p;
    }

    public IEnumerable<KeyValuePair<string, Tensor>> NamedBuffers(string prefix = "")
    {
        foreach (var b in _buffers) yield return new(prefix + b.Key, b.Value);
        foreach (var m in _modules)
            foreach (var b in m.Value.NamedBuffers(prefix + m.Key + "."))
                yield return b;
    }

    public IReadOnlyList<Tensor> Parameters() => NamedParameters().Select(p => p.Value).ToList();

    public long ParameterCount() => NamedParameters().Sum(p => p.Value.NumEl);

    /// <summary>Parameters and buffers by name. The tensors stay owned by the module.</summary>
    public IReadOnlyDictionary<string, Tensor> StateDict()
    {
        var dict = new Dictionary<string, Tensor>();
        foreach (var p in NamedParameters()) dict[p.Key] = p.Value;
        foreach (var b in NamedBuffers()) dict[b.Key] = b.Value;
        return dict;
    }

    /// <summary>
    /// Copies values into this module's tensors (dtype and device converted as needed). With
    /// <paramref name="strict"/>, missing and unexpected keys are an error that lists them.
    /// Returns the keys of <paramref name="state"/> that were not used.
    /// </summary>
    public IReadOnlyList<string> LoadStateDict(IReadOnlyDictionary<string, Tensor> state, bool strict = true)
    {
        var own = StateDict();
        var missing = own.Keys.Where(k => !state.ContainsKey(k)).ToList();
        var unexpected = state.Keys.Where(k => !own.ContainsKey(k)).ToList();
        if (strict && (missing.Count > 0 || unexpected.Count > 0))
            throw new ArgumentException(
                $"State dict does not match {GetType().Name}: missing [{string.Join(", ", missing)}], unexpected [{string.Join(", ", unexpected)}].");
        foreach (var (name, target) in own)
        {
            if (!state.TryGetValue(name, out var source)) continue;
            var want = target.Shape;
            var got = source.Shape;
            if (!want.SequenceEqual(got))
                throw new ArgumentException(
                    $"'{name}': the module has shape {Tensor.FormatShape(want)} but the state dict has {Tensor.FormatShape(got)}.");
            using var converted = source.To(target.DType, target.Device);
            target.CopyFrom_(converted);
        }
        return unexpected;
    }

    public Module Train(bool training = true)
    {
        Training = training;
        foreach (var m in _modules) m.Value.Train(training);
        return this;
    }

    public Module Eval() => Train(false);

    /// <summary>Moves (and optionally converts) every parameter and buffer in place.</summary>
    public Module To(Device device, ScalarType? dtype = null)
    {
        foreach (var t in NamedParameters().Concat(NamedBuffers()).Select(p => p.Value))
        {
            bool requiresGrad = t.RequiresGrad;
            var moved = dtype is { } d && t.DType.IsFloatingPoint() ? t.To(d, device) : t.To(device);
            using (NoGradScope.Enter())
            {
                var detached = moved.Detach();
                moved.Dispose();
                t.TakeHandleOf(detached);
            }
            if (requiresGrad) t.RequiresGrad = true;
        }
        return this;
    }

    /// <summary>Clears every parameter's gradient.</summary>
    public void ZeroGrad()
    {
        foreach (var p in NamedParameters()) p.Value.ZeroGrad();
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var p in _parameters) p.Value.Dispose();
        foreach (var b in _buffers) b.Value.Dispose();
        foreach (var m in _modules) m.Value.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>A module with one tensor in and one tensor out; what <see cref="Sequential"/> chains.</summary>
public abstract class TensorModule : Module
{
    public abstract Tensor Forward(Tensor x);
}
