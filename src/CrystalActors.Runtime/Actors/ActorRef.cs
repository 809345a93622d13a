using System.Threading.Channels;

namespace CrystalActors.Runtime.Actors;

/// <summary>One mailbox entry: the message, who sent it, and where an Ask's answer goes.</summary>
internal readonly record struct MailboxEntry(object Message, ActorRef? Sender, TaskCompletionSource<object?>? Reply);

/// <summary>Handle to an actor's mailbox. Cheap to copy; outlives restarts of the actor behind it.</summary>
public sealed class ActorRef
{
    private readonly Channel<MailboxEntry> _mailbox;

    internal ActorRef(ActorAddress address, Channel<MailboxEntry> mailbox) { Address = address; _mailbox = mailbox; }

    public ActorAddress Address { get; }

    internal ChannelReader<MailboxEntry> Reader => _mailbox.Reader;
    internal void Complete() => _mailbox.Writer.TryComplete();

    /// <summary>Enqueues a message, waiting while the bounded mailbox is full (back-pressure).</summary>
    /// <exception cref="ChannelClosedException">The actor has stopped.</exception>
    public ValueTask TellAsync(object message, ActorRef? sender = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        return _mailbox.Writer.WriteAsync(new MailboxEntry(message, sender, null), ct);
    }

    /// <summary>Enqueues without waiting; false when the mailbox is full or the actor has stopped.</summary>
    public bool TryTell(object message, ActorRef? sender = null) => _mailbox.Writer.TryWrite(new MailboxEntry(message, sender, null));

    /// <summary>Sends a message and waits for the actor's <see cref="ActorContext.Reply"/>.</summary>
    /// <exception cref="TimeoutException">No reply within <paramref name="timeout"/>.</exception>
    /// <exception cref="InvalidCastException">The reply is not a <typeparamref name="T"/>.</exception>
    public async Task<T> AskAsync<T>(object message, TimeSpan timeout, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var reply = new TaskCompletionSource<object?>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            await _mailbox.Writer.WriteAsync(new MailboxEntry(message, null, reply), cts.Token).ConfigureAwait(false);
            var answer = await reply.Task.WaitAsync(cts.Token).ConfigureAwait(false);
            return answer is T t ? t : throw new InvalidCastException($"{Address} answered {answer?.GetType().Name ?? "null"} to {message.GetType().Name}, expected {typeof(T).Name}");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"{Address} did not answer {message.GetType().Name} within {timeout.TotalSeconds:0.###} s");
        }
    }

    public override string ToString() => Address.ToString();
}
