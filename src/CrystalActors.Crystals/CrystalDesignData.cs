namespace CrystalActors.Crystals;

/// <summary>
/// Where the element data comes from: the shared folder <c>data/crystal-design/</c> (the 88-action
/// vocabulary of chandar-lab/crystal-design and SMACT 2.5.2's <c>element_data.txt</c>,
/// <c>oxidation_states.txt</c> and <c>smact_metals.txt</c>, MIT). The files are read in place, never
/// copied into this project. The folder is <c>$CRYSTAL_ACTORS_SHARED/data/crystal-design</c> when that
/// variable is set, otherwise <c>shared/data/crystal-design</c> found upwards from the program's
/// directory or the working directory (the checkout's <c>../shared</c>).
/// </summary>
public static class CrystalDesignData
{
    private static readonly Lazy<string> Root = new(Locate);

    /// <summary>The folder holding action_vocab_88.csv and smact/.</summary>
    public static string Folder => Root.Value;

    public static string PathOf(string file)
    {
        var sub = file == "action_vocab_88.csv" ? file : System.IO.Path.Combine("smact", file);
        var path = System.IO.Path.Combine(Folder, sub);
        return File.Exists(path) ? path : throw new FileNotFoundException($"element data file {path} is missing (see README: shared data)", path);
    }

    private static string Locate()
    {
        // The element vocabulary and SMACT data (action_vocab_88.csv, smact/) live in shared/data/crystal-design.
        var marker = System.IO.Path.Combine("data", "crystal-design");
        return System.IO.Path.Combine(SharedPaths.RequireShared(marker), marker);
    }
}
