using CrystalActors.Crystals;
using CrystalActors.Crystals.Thermo;
using CrystalActors.Models.M3gnet;

namespace CrystalActors.Models.Reward;

/// <summary>One crystal's energy reward: M3GNet's total energy per atom (eV/atom, NaN when it failed), the energy above
/// the reference hull (eV/atom, NaN on failure), the reward −clamp(e_hull, 0, 1) (−1 on failure) and why it failed.</summary>
public sealed record HullRewardResult(double EnergyPerAtom, double EAboveHull, double Reward, string? Error)
{
    public bool Failed => Error is not null;
}

/// <summary>
/// Chemeleon2's EnergyReward on our stack: single-point M3GNet energy of each structure as given (no relaxation), put
/// on MP-20's formation-energy scale by the fitted μ, e_hull against <see cref="HullReference"/>, then
/// <see cref="HullReference.EnergyReward"/>. A structure the potential cannot evaluate (too dense, an element outside
/// the model) or the reference cannot place (an element without μ or absent from MP-20) is a failure with reward −1,
/// never an exception, so one bad design does not stop a batch. Use the MP-2021 potential the μ were fitted for.
/// </summary>
public sealed class HullEnergyReward(M3gnetPotential potential, HullReference reference)
{
    public M3gnetPotential Potential { get; } = potential ?? throw new ArgumentNullException(nameof(potential));
    public HullReference Reference { get; } = reference ?? throw new ArgumentNullException(nameof(reference));

    /// <summary>Rewards of <paramref name="structures"/>, in order, evaluated <paramref name="batchSize"/> per potential call.</summary>
    public HullRewardResult[] Evaluate(IReadOnlyList<Structure> structures, int batchSize = 32)
    {
        var (energies, errors) = EnergiesPerAtom(Potential, structures, batchSize);
        var results = new HullRewardResult[structures.Count];
        for (int i = 0; i < results.Length; i++)
        {
            string? error = errors[i];
            double eHull = double.NaN;
            if (error is null)
            {
                try { eHull = Reference.EnergyAboveHull(structures[i], energies[i]); }
                catch (ArgumentException e) { error = e.Message; }
            }
            results[i] = new HullRewardResult(energies[i], eHull, HullReference.EnergyReward(eHull), error);
        }
        return results;
    }

    /// <summary>
    /// Total energies per atom (eV/atom) by batched single points; a structure the potential refuses, or whose batch
    /// fails and then fails alone, gets NaN and its error message.
    /// </summary>
    public static (double[] EnergiesPerAtom, string?[] Errors) EnergiesPerAtom(M3gnetPotential potential, IReadOnlyList<Structure> structures, int batchSize = 32)
    {
        ArgumentNullException.ThrowIfNull(potential);
        ArgumentNullException.ThrowIfNull(structures);
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batch size must be ≥ 1");
        var energies = new double[structures.Count];
        var errors = new string?[structures.Count];
        Array.Fill(energies, double.NaN);
        var inputs = new AtomsInput?[structures.Count];
        for (int i = 0; i < structures.Count; i++)
        {
            try { inputs[i] = potential.ToInput(structures[i]); }
            catch (ArgumentException e) { errors[i] = e.Message; }
        }
        var valid = Enumerable.Range(0, structures.Count).Where(i => inputs[i] is not null).ToArray();
        foreach (var chunk in valid.Chunk(batchSize))
        {
            try
            {
                var results = potential.Compute(chunk.Select(i => inputs[i]!).ToArray());
                for (int j = 0; j < chunk.Length; j++) Store(chunk[j], results[j]);
            }
            catch (Exception) when (chunk.Length > 1)
            {
                foreach (int i in chunk)
                {
                    try { Store(i, potential.Compute([inputs[i]!])[0]); }
                    catch (Exception e) { errors[i] = $"M3GNet failed: {e.Message}"; }
                }
            }
            catch (Exception e)
            {
                errors[chunk[0]] = $"M3GNet failed: {e.Message}";
            }
        }
        return (energies, errors);

        void Store(int i, PotentialResult r)
        {
            if (double.IsFinite(r.EnergyPerAtom)) energies[i] = r.EnergyPerAtom;
            else errors[i] = $"M3GNet energy is not finite ({r.EnergyPerAtom})";
        }
    }
}
