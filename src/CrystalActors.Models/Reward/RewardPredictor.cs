using CrystalActors.Crystals;
using CrystalActors.Models.Megnet;

namespace CrystalActors.Models.Reward;

/// <summary>
/// Serves band-gap predictions from an immutable model snapshot and swaps to a new version atomically: a call
/// that started on version n finishes on version n even if version n+1 is published meanwhile, and version n is
/// disposed only after its last caller is done. Fine-tuning therefore never blocks or disturbs predictions.
/// </summary>
public sealed class RewardPredictor : IDisposable
{
    private Snapshot? _current;

    /// <summary>Takes ownership of <paramref name="model"/>.</summary>
    public RewardPredictor(BandGapModel model) => _current = new Snapshot(model);

    /// <summary>The version predictions currently use.</summary>
    public int Version => (Volatile.Read(ref _current) ?? throw new ObjectDisposedException(nameof(RewardPredictor))).Model.Version;

    /// <summary>Band gaps (eV, clipped at 0) with the snapshot current at the time of the call.</summary>
    public BandGapPrediction Predict(IReadOnlyList<Structure> structures, Fidelity fidelity = Fidelity.Pbe, int batchSize = 512) =>
        Use(m => m.Predict(structures, fidelity, batchSize));

    /// <summary>Runs <paramref name="work"/> on the current snapshot, holding it alive until it returns.</summary>
    public T Use<T>(Func<BandGapModel, T> work)
    {
        var snapshot = Acquire();
        try { return work(snapshot.Model); }
        finally { snapshot.Release(); }
    }

    /// <summary>Makes <paramref name="model"/> (owned from now on) the version new calls use; the old one is freed when idle.</summary>
    public void Publish(BandGapModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var old = Interlocked.Exchange(ref _current, new Snapshot(model));
        if (old is null)
        {
            Interlocked.Exchange(ref _current, null)?.Release();
            throw new ObjectDisposedException(nameof(RewardPredictor));
        }
        old.Release();
    }

    private Snapshot Acquire()
    {
        while (true)
        {
            var s = Volatile.Read(ref _current) ?? throw new ObjectDisposedException(nameof(RewardPredictor));
            if (s.TryAddRef()) return s;
            // Lost a race with Publish + last release: the next read sees the new snapshot.
        }
    }

    public void Dispose() => Interlocked.Exchange(ref _current, null)?.Release();

    /// <summary>A model plus a reference count: 1 for the predictor, +1 per call in flight.</summary>
    private sealed class Snapshot(BandGapModel model)
    {
        private int _refs = 1;
        public BandGapModel Model { get; } = model;

        public bool TryAddRef()
        {
            while (true)
            {
                int n = Volatile.Read(ref _refs);
                if (n == 0) return false;
                if (Interlocked.CompareExchange(ref _refs, n + 1, n) == n) return true;
            }
        }

        public void Release()
        {
            if (Interlocked.Decrement(ref _refs) == 0) Model.Dispose();
        }
    }
}
