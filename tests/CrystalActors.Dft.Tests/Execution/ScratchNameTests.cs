using CrystalActors.Dft.Execution;

namespace CrystalActors.Dft.Tests.Execution;

public class ScratchNameTests
{
    [Theory]
    [InlineData("campaign-e12", "campaign-e12-")]
    [InlineData("a/b c", "a_b_c-")]
    [InlineData("..", "job-")]
    [InlineData("", "job-")]
    public void ScratchName_IsTheSafeLabelAndARandomPart(string label, string prefix)
    {
        var name = PwRunner.ScratchName(label);
        Assert.StartsWith(prefix, name);
        Assert.Equal(prefix.Length + 12, name.Length);
        Assert.Matches("^[A-Za-z0-9._-]+-[0-9a-f]{12}$", name);
    }

    [Fact]
    public void LongLabels_KeepTheUniquePart()
    {
        var label = new string('x', 300);
        var names = Enumerable.Range(0, 50).Select(_ => PwRunner.ScratchName(label)).ToList();
        Assert.Equal(50, names.Distinct().Count());
        Assert.All(names, n => Assert.Equal(80 + 13, n.Length));
    }
}
