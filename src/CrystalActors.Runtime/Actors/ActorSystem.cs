using System.Collections.Concurrent;
using System.Threading.Channels;
using Polly;
using Polly.Retry;
using Serilog;

namespace CrystalActors.Runtime.Actors;

/// <summary>Per-actor mailbox and supervision settings. Defaults are in the initialisers.</summary>
public sealed class ActorOptions
{
    /// <summary>Bounded mailbox size; a full mailbox makes <see cref="ActorRef.TellAsync"/> wait. Default 256.</summary>
    public int MailboxCapacity { get; init; } = 256;
    /// <summary>Restarts allowed within <see cref="RestartWindow"/> before the failure escalates to the node. Default 5.</summary>
    public int MaxRestarts { get; init; } = 5;
    /// <summary>Default 1 minute.</summary>
    public TimeSpan RestartWindow { get; init; } = TimeSpan.FromMinutes(1);
    /// <summary>First restart delay; later ones double (with jitter) up to <see cref="MaxBackoff"/>. Default 200 ms.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(200);
    /// <summary>Default 10 s.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>How long graceful shutdown keeps processing queued messages before handing the rest to <see cref="IActor.StoppingAsync"/>. Default 10 s.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>Raised when an actor exceeded its restart limit; the node decides (the host stops the process).</summary>
public sealed record ActorEscalation(ActorAddress Address, Exception Error);

/// <summary>
/// The actors of one node. Each actor: one bounded <see cref="Channel{T}"/> mailbox, one message at a
/// time, a supervisor loop that restarts a fresh instance after a failure (Polly exponential backoff
/// with jitter, at most <see cref="ActorOptions.MaxRestarts"/> per window) and escalates beyond that.
/// The failing message is dropped, as in Akka's default strategy; Ask callers get the exception.
/// </summary>
public sealed class ActorSystem : IAsyncDisposable
{
    private readonly ConcurrentDictionary<ActorAddress, Cell> _cells = new();
    private readonly CancellationTokenSource _timers = new();
    private readonly ILogger _log;
    private int _stopped;

    public ActorSystem(string nodeName, ILogger? log = null)
    {
        NodeName = nodeName;
        _log = (log ?? Log.Logger).ForContext("node", nodeName);
    }

    public string NodeName { get; }

    /// <summary>Called (once per failure) when an actor exceeds its restart budget.</summary>
    public event Action<ActorEscalation>? Escalated;

    /// <summary>Starts an actor. <paramref name="factory"/> builds a fresh instance at start and after each restart.</summary>
    public ActorRef Spawn(ActorAddress address, Func<IActor> factory, ActorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(factory);
        if (Volatile.Read(ref _stopped) != 0) throw new InvalidOperationException($"actor system of node {NodeName} is stopped");
        options ??= new ActorOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MailboxCapacity, 1);
        var mailbox = Channel.CreateBounded<MailboxEntry>(new BoundedChannelOptions(options.MailboxCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait, SingleReader = true,
        });
        var cell = new Cell(this, new ActorRef(address, mailbox), factory, options);
        if (!_cells.TryAdd(address, cell)) throw new ArgumentException($"an actor {address} already exists on node {NodeName}", nameof(address));
        cell.Run = Task.Run(cell.SuperviseAsync);
        return cell.Ref;
    }

    public ActorRef? Lookup(string role, string name) => _cells.TryGetValue(new ActorAddress(role, name), out var c) ? c.Ref : null;

    /// <summary>All local actors of a role, ordered by name.</summary>
    public IReadOnlyList<ActorRef> LookupRole(string role) =>
        _cells.Values.Where(c => c.Ref.Address.Role == role).Select(c => c.Ref).OrderBy(r => r.Address.Name, StringComparer.Ordinal).ToList();

    /// <summary>Number of restarts the actor has gone through (for tests and status).</summary>
    public int RestartCount(ActorAddress address) => _cells.TryGetValue(address, out var c) ? c.Restarts : 0;

    /// <summary>True while the actor's supervisor loop is running.</summary>
    public bool IsAlive(ActorAddress address) => _cells.TryGetValue(address, out var c) && !c.Run!.IsCompleted;

    /// <summary>Delivers <c>new Tick(name)</c> to <paramref name="target"/> every <paramref name="interval"/>, skipping ticks while its mailbox is full.</summary>
    public void ScheduleTicks(ActorRef target, string name, TimeSpan interval)
    {
        var ct = _timers.Token;
        _ = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(interval);
            try { while (await timer.WaitForNextTickAsync(ct)) target.TryTell(new Tick(name)); }
            catch (OperationCanceledException) { }
        }, CancellationToken.None);
    }

    /// <summary>Graceful stop: close every mailbox, let each actor drain it (up to its DrainTimeout), then call StoppingAsync.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0) return;
        _timers.Cancel();
        foreach (var c in _cells.Values) c.BeginStop();
        await Task.WhenAll(_cells.Values.Select(c => c.Run!)).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync() { await StopAsync().ConfigureAwait(false); _timers.Dispose(); }

    private void Escalate(ActorAddress address, Exception e)
    {
        _log.Fatal(e, "Actor {Actor} exceeded its restart limit; escalating to node {Node}", address, NodeName);
        Escalated?.Invoke(new ActorEscalation(address, e));
    }

    private sealed class Cell(ActorSystem system, ActorRef actorRef, Func<IActor> factory, ActorOptions options)
    {
        private readonly CancellationTokenSource _drainDeadline = new();
        private readonly Queue<DateTimeOffset> _recentFailures = new();
        public ActorRef Ref { get; } = actorRef;
        public Task? Run { get; set; }
        public int Restarts;
        private volatile bool _stopping;

        public void BeginStop()
        {
            _stopping = true;
            Ref.Complete();
            _drainDeadline.CancelAfter(options.DrainTimeout);
        }

        public async Task SuperviseAsync()
        {
            var pipeline = new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(e => !_stopping && WithinRestartBudget()),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.InitialBackoff,
                MaxDelay = options.MaxBackoff,
                MaxRetryAttempts = int.MaxValue,
                OnRetry = a =>
                {
                    Interlocked.Increment(ref Restarts);
                    system._log.Warning(a.Outcome.Exception, "Actor {Actor} failed; restarting in {Delay} ms (restart {N})",
                        Ref.Address, (int)a.RetryDelay.TotalMilliseconds, a.AttemptNumber + 1);
                    return default;
                },
            }).Build();
            try
            {
                await pipeline.ExecuteAsync(async _ => await RunIncarnationAsync().ConfigureAwait(false), CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (!_stopping)
            {
                system.Escalate(Ref.Address, e);
            }
            catch (Exception e)
            {
                system._log.Error(e, "Actor {Actor} failed while stopping", Ref.Address);
            }
        }

        private bool WithinRestartBudget()
        {
            var now = DateTimeOffset.UtcNow;
            _recentFailures.Enqueue(now);
            while (_recentFailures.Count > 0 && now - _recentFailures.Peek() > options.RestartWindow) _recentFailures.Dequeue();
            return _recentFailures.Count <= options.MaxRestarts;
        }

        private async Task RunIncarnationAsync()
        {
            var actor = factory();
            var ctx = new ActorContext(Ref, system);
            await actor.StartedAsync(ctx).ConfigureAwait(false);
            var reader = Ref.Reader;
            try
            {
                while (await reader.WaitToReadAsync(_drainDeadline.Token).ConfigureAwait(false))
                {
                    while (reader.TryRead(out var entry))
                    {
                        ctx.Sender = entry.Sender;
                        ctx.PendingReply = entry.Reply;
                        try
                        {
                            await actor.ReceiveAsync(entry.Message, ctx).ConfigureAwait(false);
                        }
                        catch (Exception e)
                        {
                            entry.Reply?.TrySetException(e);
                            throw;
                        }
                        finally { ctx.PendingReply = null; ctx.Sender = null; }
                        if (_drainDeadline.IsCancellationRequested) break;
                    }
                    if (_drainDeadline.IsCancellationRequested) break;
                }
            }
            catch (OperationCanceledException) when (_drainDeadline.IsCancellationRequested) { }
            if (!_stopping) return; // cannot happen: the mailbox only completes on stop
            var undelivered = new List<object>();
            while (reader.TryRead(out var left))
            {
                left.Reply?.TrySetException(new OperationCanceledException($"{Ref.Address} stopped before handling {left.Message.GetType().Name}"));
                undelivered.Add(left.Message);
            }
            await actor.StoppingAsync(undelivered, ctx).ConfigureAwait(false);
        }
    }
}
