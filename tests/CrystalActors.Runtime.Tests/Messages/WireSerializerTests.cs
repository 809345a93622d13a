using System.Runtime.Serialization;
using System.Text;
using CrystalActors.Runtime.Farming;
using CrystalActors.Runtime.Messages;

namespace CrystalActors.Runtime.Tests.Messages;

public class WireSerializerTests
{
    public static TheoryData<IWireMessage> Messages => new()
    {
        new SubmitJob("j1", "{\"structure\": \"x\"}", ["relax", "dft"], "campaign:smoke"),
        new WorkLeased("j1", 2, "dft", "{}", 30),
        new WorkCompleted("j1", 2, "cpu0/dft-1", "{\"gap\": 1.1}", 12.25),
        new WorkFailed("j1", 2, "cpu0/dft-1", "pw.x crashed", true),
        new JobsStatus([new JobStatus("j1", JobStates.Completed, "{}", "{}", null, 3.5, 1)]),
        new JobLeased("j1", 2, "w", 123),
        new FarmSnapshot([], 0),
    };

    [Theory]
    [MemberData(nameof(Messages))]
    public void EveryFarmMessage_RoundTripsUnderItsStableManifest(IWireMessage message)
    {
        var back = WireSerializer.Decode(WireSerializer.Encode(message), WireSerializer.ManifestOf(message));
        Assert.Equal(WireSerializer.ManifestOf(message), WireSerializer.ManifestOf(back));
        Assert.Equal(Encoding.UTF8.GetString(WireSerializer.Encode(message)), Encoding.UTF8.GetString(WireSerializer.Encode(back)));
    }

    [Fact]
    public void Manifest_IsTheContractNameAndVersion() =>
        Assert.Equal("farm.submit.v1", WireSerializer.ManifestOf(new SubmitJob("j", "{}", ["dft"], "t")));

    [Fact]
    public void UnknownManifest_IsASerializationErrorNamingIt()
    {
        var e = Assert.Throws<SerializationException>(() => WireSerializer.Decode("{}"u8.ToArray(), "farm.submit.v9"));
        Assert.Contains("farm.submit.v9", e.Message);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{\"jobId\": 42, \"epoch\": \"x\"}")]
    [InlineData("")]
    public void CorruptPayload_IsASerializationErrorNamingTheManifest(string payload)
    {
        var e = Assert.Throws<SerializationException>(() => WireSerializer.Decode(Encoding.UTF8.GetBytes(payload), "farm.leased.v1"));
        Assert.Contains("farm.leased.v1", e.Message);
    }
}
