using System.Runtime.InteropServices;
using System.Text;

namespace CrystalActors.Crystals.Symmetry;

/// <summary>One of spglib's 530 Hall settings of the 230 space groups.</summary>
public sealed record SpaceGroupSetting(int HallNumber, int Number, string InternationalShort, string InternationalFull, string Choice);

/// <summary>
/// The space-group operations tabulated in spglib (by Hall setting), used when a CIF names its space group but
/// lists no operations. Symbols are matched ignoring spaces, underscores and case ("P 63 m c" = "P6_3mc"); an
/// origin or axis choice may follow a colon ("F d -3 m :2", "R -3 :H"). Without a choice the first setting
/// spglib lists is used, which is ITA's standard one (origin choice 1, hexagonal axes for R groups).
/// </summary>
public static class SpaceGroupDatabase
{
    private static readonly Lazy<SpaceGroupSetting[]> s_settings = new(LoadSettings);

    public static IReadOnlyList<SpaceGroupSetting> Settings => s_settings.Value;

    /// <summary>Finds the setting for a Hermann-Mauguin symbol, or null when spglib does not know the symbol.</summary>
    public static SpaceGroupSetting? FindByHermannMauguin(string symbol)
    {
        string text = symbol.Trim();
        string choice = "";
        int colon = text.IndexOf(':');
        if (colon >= 0)
        {
            choice = Normalize(text[(colon + 1)..]);
            text = text[..colon];
        }
        string key = Normalize(text);
        var matches = Settings.Where(s => Normalize(s.InternationalShort) == key || Normalize(s.InternationalFull) == key).ToList();
        if (choice.Length > 0) matches = matches.Where(s => Normalize(s.Choice) == choice).ToList();
        return matches.FirstOrDefault();
    }

    /// <summary>The standard (first) setting of space group <paramref name="number"/> (1..230).</summary>
    public static SpaceGroupSetting FindByNumber(int number)
    {
        if (number < 1 || number > 230) throw new ArgumentOutOfRangeException(nameof(number), number, "space group number must be in 1..230");
        return Settings.First(s => s.Number == number);
    }

    /// <summary>All operations (including centring translations) of a Hall setting.</summary>
    public static unsafe IReadOnlyList<SymmetryOperation> GetOperations(SpaceGroupSetting setting)
    {
        var rotations = new int[192 * 9];
        var translations = new double[192 * 3];
        int n;
        fixed (int* r = rotations)
        fixed (double* t = translations)
            n = NativeMethods.spg_get_symmetry_from_database(r, t, setting.HallNumber);
        if (n <= 0) throw new InvalidOperationException($"spglib has no operations for Hall setting {setting.HallNumber}");
        var ops = new SymmetryOperation[n];
        for (int k = 0; k < n; k++)
        {
            int o = 9 * k;
            var rot = new Mat3(rotations[o], rotations[o + 1], rotations[o + 2], rotations[o + 3], rotations[o + 4],
                rotations[o + 5], rotations[o + 6], rotations[o + 7], rotations[o + 8]);
            ops[k] = new SymmetryOperation(rot, new Vec3(translations[3 * k], translations[3 * k + 1], translations[3 * k + 2]));
        }
        return ops;
    }

    private static string Normalize(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (char c in s)
            if (!char.IsWhiteSpace(c) && c != '_' && c != '\'' && c != '"') sb.Append(char.ToLowerInvariant(c));
        return sb.ToString();
    }

    private static unsafe SpaceGroupSetting[] LoadSettings()
    {
        var list = new SpaceGroupSetting[530];
        for (int hall = 1; hall <= 530; hall++)
        {
            var t = NativeMethods.spg_get_spacegroup_type(hall);
            list[hall - 1] = new SpaceGroupSetting(hall, t.number,
                Marshal.PtrToStringAnsi((IntPtr)t.international_short)!.Trim(),
                Marshal.PtrToStringAnsi((IntPtr)t.international_full)!.Trim(),
                Marshal.PtrToStringAnsi((IntPtr)t.choice)!.Trim());
        }
        return list;
    }
}
