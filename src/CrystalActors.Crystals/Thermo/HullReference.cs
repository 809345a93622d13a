using CrystalActors.Crystals.Io;
using Serilog;

namespace CrystalActors.Crystals.Thermo;

/// <summary>
/// Energy above hull of a designed crystal from a potential's energy: the reference <see cref="PhaseDiagram"/> holds
/// MP-20's formation energies (train + val), and <see cref="ChemicalPotentials"/> put the potential's total energy
/// per atom on that scale (E_form = E/atom − Σ x μ). Pure: the potential is called elsewhere.
/// </summary>
public sealed class HullReference
{
    public HullReference(PhaseDiagram phaseDiagram, ChemicalPotentials chemicalPotentials)
    {
        PhaseDiagram = phaseDiagram ?? throw new ArgumentNullException(nameof(phaseDiagram));
        ChemicalPotentials = chemicalPotentials ?? throw new ArgumentNullException(nameof(chemicalPotentials));
    }

    public PhaseDiagram PhaseDiagram { get; }
    public ChemicalPotentials ChemicalPotentials { get; }

    /// <summary>
    /// The phase diagram of data-set records: one entry per record with a finite <c>formation_energy_per_atom</c>
    /// (composition from its species, id = material id; coordinates not needed, so MP-20's train file without
    /// coordinates serves). A material id seen twice keeps its first record. Records without a formation energy are
    /// skipped and counted in the log.
    /// </summary>
    public static PhaseDiagram BuildPhaseDiagram(IEnumerable<Mp20Record> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var entries = new List<PhaseDiagramEntry>();
        int noEnergy = 0, duplicates = 0;
        foreach (var r in records)
        {
            if (r.FormationEnergyPerAtom is not { } ef || !double.IsFinite(ef)) { noEnergy++; continue; }
            if (!seen.Add(r.MaterialId)) { duplicates++; continue; }
            entries.Add(new PhaseDiagramEntry(r.Composition, ef, r.MaterialId));
        }
        if (noEnergy > 0 || duplicates > 0)
            Log.Warning("Hull reference: skipped {NoEnergy} records without a formation energy and {Duplicates} repeated material ids", noEnergy, duplicates);
        return new PhaseDiagram(entries);
    }

    /// <summary>The reference from data files (MP-20 JSONL(.gz), CSV or CIF; typically MP-20 train and val).</summary>
    public static HullReference FromFiles(IEnumerable<string> dataFiles, ChemicalPotentials chemicalPotentials)
    {
        var files = dataFiles.ToArray();
        foreach (var f in files) if (!File.Exists(f)) throw new FileNotFoundException($"hull reference data '{f}' not found", f);
        return new HullReference(BuildPhaseDiagram(files.SelectMany(f => CrystalDataReader.ReadRecords(f))), chemicalPotentials);
    }

    /// <summary>The formation energy per atom (eV/atom) a potential's total energy per atom stands for.</summary>
    /// <exception cref="ArgumentException">an element without a μ, named.</exception>
    public double FormationEnergyPerAtom(Composition composition, double energyPerAtom) =>
        ChemicalPotentials.FormationEnergyPerAtom(composition, energyPerAtom);

    /// <summary>E_form − E_hull (eV/atom), negative below the reference hull.</summary>
    /// <exception cref="ArgumentException">a non-finite energy, an element without a μ or absent from the reference
    /// (named).</exception>
    public double EnergyAboveHull(Composition composition, double energyPerAtom)
    {
        ArgumentNullException.ThrowIfNull(composition);
        if (!double.IsFinite(energyPerAtom))
            throw new ArgumentException($"{composition.ReducedFormula}: energy per atom is not finite ({energyPerAtom})", nameof(energyPerAtom));
        return PhaseDiagram.EnergyAboveHull(composition, FormationEnergyPerAtom(composition, energyPerAtom));
    }

    /// <summary>E_form − E_hull (eV/atom) of a structure whose potential energy per atom (M3GNet, eV/atom, total) is given.</summary>
    public double EnergyAboveHull(Structure structure, double energyPerAtom)
    {
        ArgumentNullException.ThrowIfNull(structure);
        return EnergyAboveHull(structure.Composition, energyPerAtom);
    }

    /// <summary>
    /// Chemeleon2's EnergyReward transform: r = −clamp(e_hull, 0, 1), a failed evaluation (NaN) counting as
    /// e_hull = 1, so r ∈ [−1, 0]. Matched to hspark1212/chemeleon2 @ 6e86960 <c>src/rl_module/components.py</c>,
    /// <c>EnergyReward.compute</c>: <c>nan_to_num(nan=1.0)</c>, <c>clamp(min=0.0, max=1.0)</c>, <c>* -1.0</c>; its
    /// e_hull is pymatgen's <c>get_e_above_hull(entry, allow_negative=True)</c> (<c>src/utils/metrics.py</c>), and a
    /// structure whose energy or hull raises is recorded as NaN. (Their per-batch <c>normalize_fn</c> and weight are the
    /// reward combiner's business, not this transform's.) +∞ clamps to 1 and −∞ to 0, as torch's clamp does.
    /// </summary>
    public static double EnergyReward(double eAboveHull) =>
        double.IsNaN(eAboveHull) ? -1.0 : -Math.Clamp(eAboveHull, 0.0, 1.0);
}
