using CrystalActors.Runtime.Actors;

namespace CrystalActors.Runtime.Tests.Actors;

public class ActorSystemTests
{
    private sealed class Counter : IActor
    {
        private int _n;
        public static int Concurrent, MaxConcurrent;
        public async Task ReceiveAsync(object message, ActorContext ctx)
        {
            switch (message)
            {
                case "inc":
                    var c = Interlocked.Increment(ref Concurrent);
                    InterlockedMax(ref MaxConcurrent, c);
                    await Task.Yield();
                    _n++;
                    Interlocked.Decrement(ref Concurrent);
                    break;
                case "get": ctx.Reply(_n); break;
                case "boom": throw new InvalidOperationException("boom");
                case "slow": await Task.Delay(200); break;
            }
        }

        private static void InterlockedMax(ref int target, int v) { int cur; while ((cur = target) < v && Interlocked.CompareExchange(ref target, v, cur) != cur) { } }
    }

    private static readonly ActorOptions Fast = new() { InitialBackoff = TimeSpan.FromMilliseconds(5), MaxBackoff = TimeSpan.FromMilliseconds(20), MaxRestarts = 3 };

    [Fact]
    public async Task Tell_ManyConcurrentSenders_ProcessedOneAtATime()
    {
        await using var sys = new ActorSystem("t");
        var a = sys.Spawn(new ActorAddress("counter", "a"), () => new Counter());
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () => { for (var i = 0; i < 250; i++) await a.TellAsync("inc"); })));
        Assert.Equal(2000, await a.AskAsync<int>("get", TimeSpan.FromSeconds(5)));
        Assert.Equal(1, Counter.MaxConcurrent);
    }

    [Fact]
    public async Task TryTell_FullBoundedMailbox_ReturnsFalse()
    {
        await using var sys = new ActorSystem("t");
        var a = sys.Spawn(new ActorAddress("counter", "bp"), () => new Counter(), new ActorOptions { MailboxCapacity = 2 });
        await a.TellAsync("slow");
        await Task.Delay(50); // the actor is now inside "slow"; the mailbox is empty
        Assert.True(a.TryTell("inc"));
        Assert.True(a.TryTell("inc"));
        Assert.False(a.TryTell("inc"));
        var blocked = a.TellAsync("inc").AsTask();
        Assert.False(blocked.IsCompleted); // back-pressure: the sender waits
        await blocked.WaitAsync(TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task AskAsync_NoReply_ThrowsTimeoutNamingActor()
    {
        await using var sys = new ActorSystem("t");
        var a = sys.Spawn(new ActorAddress("counter", "quiet"), () => new Counter());
        var e = await Assert.ThrowsAsync<TimeoutException>(() => a.AskAsync<int>("inc", TimeSpan.FromMilliseconds(100)));
        Assert.Contains("counter/quiet", e.Message);
    }

    [Fact]
    public async Task Failure_RestartsFreshInstance_AndKeepsMailbox()
    {
        await using var sys = new ActorSystem("t");
        var address = new ActorAddress("counter", "r");
        var a = sys.Spawn(address, () => new Counter(), Fast);
        await a.TellAsync("inc");
        var ask = a.AskAsync<int>("boom", TimeSpan.FromSeconds(2));
        await Assert.ThrowsAsync<InvalidOperationException>(() => ask);
        await a.TellAsync("inc");
        Assert.Equal(1, await a.AskAsync<int>("get", TimeSpan.FromSeconds(2))); // state was reset by the restart
        Assert.Equal(1, sys.RestartCount(address));
        Assert.Equal("counter", sys.LookupRole("counter").Single().Address.Role);
        Assert.Same(a, sys.Lookup("counter", "r"));
    }

    [Fact]
    public async Task Failures_BeyondLimit_EscalateToNode()
    {
        await using var sys = new ActorSystem("t");
        var escalated = new TaskCompletionSource<ActorEscalation>();
        sys.Escalated += e => escalated.TrySetResult(e);
        var address = new ActorAddress("counter", "doomed");
        var a = sys.Spawn(address, () => new Counter(), Fast);
        for (var i = 0; i < 4; i++) a.TryTell("boom");
        var e = await escalated.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(address, e.Address);
        Assert.Equal(3, sys.RestartCount(address));
        await Task.Delay(50);
        Assert.False(sys.IsAlive(address));
    }

    private sealed class Persisting(List<object> saved) : IActor
    {
        public async Task ReceiveAsync(object message, ActorContext ctx) => await Task.Delay(30);
        public Task StoppingAsync(IReadOnlyList<object> undelivered, ActorContext ctx) { saved.AddRange(undelivered); saved.Add("stopped"); return Task.CompletedTask; }
    }

    [Fact]
    public async Task StopAsync_DrainsMailboxWithinDeadline()
    {
        var saved = new List<object>();
        var sys = new ActorSystem("t");
        var a = sys.Spawn(new ActorAddress("p", "drain"), () => new Persisting(saved), new ActorOptions { DrainTimeout = TimeSpan.FromSeconds(5) });
        for (var i = 0; i < 5; i++) await a.TellAsync(i);
        await sys.StopAsync();
        Assert.Equal(["stopped"], saved); // all five handled, nothing left over
        Assert.False(a.TryTell(99));
    }

    [Fact]
    public async Task StopAsync_DrainDeadlinePassed_HandsLeftoversToStopping()
    {
        var saved = new List<object>();
        var sys = new ActorSystem("t");
        var a = sys.Spawn(new ActorAddress("p", "persist"), () => new Persisting(saved), new ActorOptions { DrainTimeout = TimeSpan.FromMilliseconds(80) });
        for (var i = 0; i < 20; i++) await a.TellAsync(i);
        await sys.StopAsync();
        Assert.Equal("stopped", saved[^1]);
        var left = saved.Take(saved.Count - 1).Cast<int>().ToList();
        Assert.InRange(left.Count, 10, 19);
        Assert.Equal(Enumerable.Range(20 - left.Count, left.Count), left); // the unhandled tail, in order
    }
}
