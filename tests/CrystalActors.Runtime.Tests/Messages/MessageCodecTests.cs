using System.Text;
using CrystalActors.Runtime.Messages;

namespace CrystalActors.Runtime.Tests.Messages;

public class MessageCodecTests
{
    private readonly MessageCodec _codec = new(maxFrameBytes: 4096);

    public static TheoryData<IClusterMessage> AllMessages => new()
    {
        new DftJobRequested("j1", "{\"a\":5.43}", "fast", "campaign-7", 3),
        new DftLeaseRequested("j1", "dft-2", 3, "queue/reply.dft-2"),
        new DftJobLeased("j1", "dft-2", 4, new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero), true),
        new DftJobLeased("j1", "dft-2", 4, default, false, "job is leased"),
        new DftLeaseRenewed("j1", "dft-2", 4),
        new DftJobCompleted("j1", 4, "{\"e\":-15.8}", "dft-2", 1.25),
        new DftJobFailed("j1", 4, "dft-2", "pw.x crashed", true),
        new ModelVersionPublished("qnet", 12, "/store/ab/cd", new string('a', 64)),
        new EpisodeSummary("ep-9", "rollout-1", "GaAs", 0.75, 1.42, 8, new DateTimeOffset(2026, 5, 6, 7, 8, 9, TimeSpan.Zero)),
        new Heartbeat("head", ["coordinator", "learner"], new DateTimeOffset(2026, 5, 6, 7, 8, 9, TimeSpan.Zero)),
    };

    [Theory]
    [MemberData(nameof(AllMessages))]
    public void Encode_ThenDecode_RoundTripsEveryMessage(IClusterMessage message)
    {
        var frame = _codec.Encode(message, "node-a", "m-1");
        Assert.True(_codec.TryDecode(frame, "transport-peer", out var env, out var failure), failure?.Reason);
        Assert.Equal("node-a", env!.Sender);
        Assert.Equal("m-1", env.MessageId);
        // Records compare by value, except list members; compare the JSON forms for those.
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize<object>(message), System.Text.Json.JsonSerializer.Serialize<object>(env.Message));
        Assert.Equal(message.GetType(), env.Message.GetType());
    }

    [Fact]
    public void Encode_DftJobRequested_IsCompact()
    {
        var frame = _codec.Encode(new DftJobRequested("si-0001", "{\"a\": 5.4300}", "si-tiny", "cli"), "cli", "submit:si-0001");
        // header (3) + names (~40) + JSON (~100): a few hundred bytes, not kilobytes.
        Assert.InRange(frame.Length, 100, 220);
    }

    [Fact]
    public void TryDecode_UnknownSchemaVersion_FailsNamingSenderAndVersion()
    {
        var frame = _codec.EncodeRaw("dft.job.completed", 2, "dft-7", "m", "{}"u8);
        Assert.False(_codec.TryDecode(frame, "peer", out _, out var f));
        Assert.Equal("dft-7", f!.Sender);
        Assert.Contains("unsupported schema version 2", f.Reason);
    }

    [Fact]
    public void TryDecode_UnknownType_Fails()
    {
        var frame = _codec.EncodeRaw("dft.job.exploded", 1, "dft-7", "m", "{}"u8);
        Assert.False(_codec.TryDecode(frame, "peer", out _, out var f));
        Assert.Contains("unknown message type 'dft.job.exploded'", f!.Reason);
    }

    [Fact]
    public void TryDecode_Garbage_FailsNamingTransportSender()
    {
        Assert.False(_codec.TryDecode(Encoding.UTF8.GetBytes("hello broker"), "amqp-app-x", out _, out var f));
        Assert.Equal("amqp-app-x", f!.Sender);
        Assert.Contains("garbage", f.Reason);
    }

    [Fact]
    public void TryDecode_Oversize_Fails()
    {
        Assert.False(_codec.TryDecode(new byte[5000], "peer", out _, out var f));
        Assert.Contains("oversize frame: 5000 bytes > limit 4096", f!.Reason);
    }

    [Fact]
    public void TryDecode_TruncatedFrame_Fails()
    {
        var frame = _codec.Encode(new DftLeaseRenewed("j", "w", 1), "w");
        for (var cut = 1; cut < frame.Length; cut++)
            Assert.False(_codec.TryDecode(frame.AsSpan(0, cut), "peer", out _, out _), $"decoded a frame cut to {cut} bytes");
    }

    [Fact]
    public void TryDecode_MissingRequiredField_Fails()
    {
        var frame = _codec.EncodeRaw("dft.lease.renewed", 1, "w", "m", "{\"jobId\":\"j\"}"u8);
        Assert.False(_codec.TryDecode(frame, "peer", out _, out var f));
        Assert.Contains("bad 'dft.lease.renewed' payload", f!.Reason);
    }

    [Fact]
    public void Encode_OverLimit_ThrowsPointingToContentStore()
    {
        var big = new DftJobCompleted("j", 1, new string('x', 5000), "w");
        var e = Assert.Throws<ArgumentException>(() => _codec.Encode(big, "w"));
        Assert.Contains("content store", e.Message);
    }
}
