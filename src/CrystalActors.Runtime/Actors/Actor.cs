namespace CrystalActors.Runtime.Actors;

/// <summary>Where an actor lives: a role ("dft-worker") and a name unique within the role on this node.</summary>
public readonly record struct ActorAddress(string Role, string Name)
{
    public override string ToString() => $"{Role}/{Name}";
}

/// <summary>
/// An actor: receives one message at a time from its mailbox. Implementations stay thin: decode,
/// call a pure <c>…State.Handle</c>, persist, send (STYLE.md §4). Long work must not run inside
/// <see cref="ReceiveAsync"/>: start a Task and pipe its completion back with <see cref="ActorContext.PipeToSelf{T}"/>.
/// </summary>
public interface IActor
{
    /// <summary>Called before the first message and again after every supervised restart (on a fresh instance).</summary>
    Task StartedAsync(ActorContext context) => Task.CompletedTask;

    Task ReceiveAsync(object message, ActorContext context);

    /// <summary>
    /// Called on graceful shutdown after the mailbox has been drained (or the drain deadline passed);
    /// <paramref name="undelivered"/> holds messages that were still queued, for the actor to persist.
    /// </summary>
    Task StoppingAsync(IReadOnlyList<object> undelivered, ActorContext context) => Task.CompletedTask;
}

/// <summary>What an actor may do while handling a message.</summary>
public sealed class ActorContext
{
    internal ActorContext(ActorRef self, ActorSystem system) { Self = self; System = system; }

    public ActorRef Self { get; }
    public ActorSystem System { get; }

    /// <summary>The sender of the message being handled (null for messages from outside the actor system).</summary>
    public ActorRef? Sender { get; internal set; }

    internal TaskCompletionSource<object?>? PendingReply { get; set; }

    /// <summary>Answers the current <see cref="ActorRef.AskAsync{T}"/>; a no-op for plain Tells.</summary>
    public void Reply(object? response) => PendingReply?.TrySetResult(response);

    /// <summary>Runs long work off the mailbox; its outcome comes back to this actor as a <see cref="PipedResult{T}"/>.</summary>
    public void PipeToSelf<T>(Func<CancellationToken, Task<T>> work, object? tag, CancellationToken ct)
    {
        var self = Self;
        _ = Task.Run(async () =>
        {
            PipedResult<T> r;
            try { r = new PipedResult<T>(tag, await work(ct).ConfigureAwait(false), null); }
            catch (Exception e) { r = new PipedResult<T>(tag, default, e); }
            self.TryTell(r);
        }, CancellationToken.None);
    }
}

/// <summary>Completion of work started with <see cref="ActorContext.PipeToSelf{T}"/>: a value or the error.</summary>
public sealed record PipedResult<T>(object? Tag, T? Value, Exception? Error);

/// <summary>Sent to an actor's own mailbox by a timer.</summary>
public sealed record Tick(string Name);
