using System.Text;
using System.Text.RegularExpressions;
using CrystalActors.Dft.Handlers;
using CrystalActors.Dft.Input;
using CrystalActors.Dft.Parsing;

namespace CrystalActors.Dft.Tests.Parsing;

/// <summary>
/// Issue #19: the parser never throws. Damaged copies of the real pw.x outputs go through the parser, the output
/// check and the classifier, which must answer every one with a value: warnings and a failure class, never an
/// exception, and never 'ok' with a value no crystal has.
/// </summary>
public partial class PwOutputParserFuzzTests
{
    /// <summary>Mutants per output: 150, fewer for a long output so that each costs about the same parsing (the 1000-iteration one: 21).</summary>
    private static int Mutants(string text) => Math.Clamp(8_000_000 / Math.Max(1, text.Length), 20, 150);

    private static readonly PwParameters Fixed = new() { EcutWfcRy = 30, EcutRhoRy = 245, KPoints = new KMesh(3, 3, 3) };
    private static readonly PwParameters Smearing = Fixed with { Nspin = 2, Occupations = "smearing", Smearing = "gaussian", DegaussRy = 0.001, StartingMagnetization = 0.5 };

    public static TheoryData<string> Outputs => new(TestData.OutputNames);

    private static readonly string[] Replacements =
        ["NaN", "-NaN", "Infinity", "-Infinity", "*****", "*****************", "1e308", "-1e308", "99999999999999999999999999.9999",
         "10000000000000000000000.0000", "-0.0000", "", "=", "(", ")", "%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%"];

    [Theory]
    [MemberData(nameof(Outputs))]
    public void ParseAndClassify_DamagedReferenceOutput_NeverThrowAndNeverAcceptAnUnphysicalValue(string runName)
    {
        string text = TestData.Output(runName);
        var cell = TestData.RunOf(runName).Cell;
        var random = new Random(runName.Length * 7919 + text.Length); // reproducible per output
        for (int n = 0, count = Mutants(text); n < count; n++)
        {
            string mutant = Mutate(text, random);
            var o = PwOutputParser.Parse(mutant, random.Next(4) == 0 ? Mutate(text, random) : null);
            foreach (var p in new[] { Fixed, Smearing })
            {
                var d = PwErrorClassifier.Classify(o, cell, PwTermination.Exited, 0, p);
                if (d.IsSuccess)
                {
                    Assert.True(double.IsFinite(o.TotalEnergyRy!.Value), $"mutant {n}: ok with energy {o.TotalEnergyRy}");
                    Assert.Null(PwOutputCheck.Unphysical(o, cell.NumSites));
                    Assert.Null(PwOutputCheck.Mismatch(o.InputEcho, cell, requireComplete: true));
                }
            }
        }
    }

    [Fact]
    public void Parse_RandomBytes_NeverThrows()
    {
        var random = new Random(19);
        for (int n = 0; n < 200; n++)
        {
            var bytes = new byte[random.Next(0, 4000)];
            random.NextBytes(bytes);
            var o = PwOutputParser.Parse(Encoding.UTF8.GetString(bytes));
            Assert.False(o.Converged);
        }
    }

    /// <summary>One to three damages: a truncation, flipped bytes, a number replaced, lines dropped or repeated, CRLF.</summary>
    private static string Mutate(string text, Random random)
    {
        int damages = random.Next(1, 4);
        for (int i = 0; i < damages && text.Length > 0; i++)
        {
            switch (random.Next(6))
            {
                case 0:
                    text = text[..random.Next(text.Length)];
                    break;
                case 1:
                {
                    var bytes = Encoding.UTF8.GetBytes(text);
                    for (int k = random.Next(1, 20); k > 0; k--) bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                    text = Encoding.UTF8.GetString(bytes);
                    break;
                }
                case 2:
                {
                    var numbers = NumberRegex().Matches(text);
                    if (numbers.Count == 0) break;
                    // Replaced from the end, so that the positions of the ones still to replace hold.
                    var picked = Enumerable.Range(0, random.Next(1, 10)).Select(_ => numbers[random.Next(numbers.Count)])
                        .DistinctBy(m => m.Index).OrderByDescending(m => m.Index);
                    var sb = new StringBuilder(text);
                    foreach (var m in picked) sb.Remove(m.Index, m.Length).Insert(m.Index, Replacements[random.Next(Replacements.Length)]);
                    text = sb.ToString();
                    break;
                }
                case 3:
                {
                    var lines = text.Split('\n').ToList();
                    int at = random.Next(lines.Count), count = Math.Min(random.Next(1, 30), lines.Count - at);
                    lines.RemoveRange(at, count);
                    text = string.Join('\n', lines);
                    break;
                }
                case 4:
                {
                    var lines = text.Split('\n').ToList();
                    int at = random.Next(lines.Count), count = Math.Min(random.Next(1, 30), lines.Count - at);
                    lines.InsertRange(random.Next(lines.Count), lines.GetRange(at, count));
                    text = string.Join('\n', lines);
                    break;
                }
                default:
                    text = text.Replace("\n", "\r\n");
                    break;
            }
        }
        return text;
    }

    [GeneratedRegex(@"-?\d+\.\d+")]
    private static partial Regex NumberRegex();
}
