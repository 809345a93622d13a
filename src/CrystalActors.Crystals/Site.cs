namespace CrystalActors.Crystals;

/// <summary>An atom of a crystal: its element and its fractional coordinates in the structure's lattice.</summary>
public readonly record struct Site(Element Species, Vec3 FracCoords)
{
    public override string ToString() => $"{Species.Symbol} {FracCoords}";
}
