using System.Globalization;
using System.Text;

namespace CrystalActors.Reporting.Tests;

/// <summary>
/// Small run folders with known contents, written the way the campaign and `offline train` write theirs, so the
/// report's tests depend on no real run.
/// </summary>
public static class SyntheticRuns
{
    /// <summary>Episodes 1..40 with reward 0 for odd, 1 for even episodes.</summary>
    public const int Episodes = 40;

    public const double TargetGapEv = 1.12;

    /// <summary>
    /// A finished campaign "synthetic": scalars of every kind the report plots, report.json (two best designs, two DFT
    /// successes and one scf_not_converged failure), designs.csv with three DFT designs and one top design, optimum.json,
    /// and one CIF (designs/synthetic-e10.cif).
    /// </summary>
    public static void Campaign(string dir)
    {
        Directory.CreateDirectory(Path.Combine(dir, "designs"));
        Directory.CreateDirectory(Path.Combine(dir, "best"));
        File.WriteAllText(Path.Combine(dir, "config.json"), $$"""{ "name": "synthetic", "target_gap_ev": {{TargetGapEv.ToString(CultureInfo.InvariantCulture)}}, "episodes": {{Episodes}} }""");
        var scalars = new StringBuilder("wall_time,step,tag,value\n");
        for (int e = 1; e <= Episodes; e++)
        {
            scalars.Append(Invariant($"{1000 + e}.0,{e},charts/episode_reward,{e % 2}\n"));
            if (e % 10 == 0)
            {
                scalars.Append(Invariant($"{1000 + e}.5,{e},charts/epsilon,{1.0 - e / 100.0}\n"));
                scalars.Append(Invariant($"{1000 + e}.5,{e},greedy/mean_reward,{e / 50.0}\n"));
                scalars.Append(Invariant($"{1000 + e}.5,{e},greedy/best_reward,{e / 45.0}\n"));
                scalars.Append(Invariant($"{1000 + e}.5,{e},learner/losses/td,{1.0 / e}\n"));
                scalars.Append(Invariant($"{1000 + e}.5,{e},reward/target_gap,{e / 40.0}\n"));
            }
        }
        scalars.Append("1041.0,40,dft/gap_ev,NaN\n");
        File.WriteAllText(Path.Combine(dir, "scalars.csv"), scalars.ToString());
        File.WriteAllText(Path.Combine(dir, "report.json"), """
            {
              "campaign": "synthetic",
              "stop_reason": "reached 40 episodes",
              "episodes": 40,
              "dft_requested": 3,
              "dft_succeeded": 2,
              "dft_failed": 1,
              "percent_dft_success": 66.66666666666667,
              "mean_dft_gap_last100_ev": null,
              "failure_classes": { "scf_not_converged": 1 },
              "model_versions": { "policy": 4 },
              "best": [
                { "rank": 1, "formula": "NaCl", "reward": 0.9, "predicted_gap_ev": 1.1, "dft_gap_ev": 1.3, "episode": 10, "cif": "/elsewhere/runs/synthetic/best/01_NaCl.cif" },
                { "rank": 2, "formula": "KBr", "reward": 0.8, "predicted_gap_ev": 2.0, "dft_gap_ev": null, "episode": 20, "cif": "/elsewhere/runs/synthetic/best/02_KBr.cif" }
              ],
              "wall_seconds": 12.5,
              "greedy": { "evaluations": 4, "final_mean_reward": 0.8, "optimum_reward": 0.95, "optimum_formula": "NaCl" }
            }
            """);
        File.WriteAllText(Path.Combine(dir, "optimum.json"), """{ "reward": 0.99, "gap_ev": 1.12, "formula": "LiF" }""");
        File.WriteAllText(Path.Combine(dir, "designs.csv"), """
            source,top_rank,job_id,episode,formula,reward,dft_reward,predicted_gap_ev,dft_gap_ev,dft_energy_per_atom_ev,dft_status,smact_valid,relaxed,cif,relaxed_cif
            dft,1,synthetic-e10,10,NaCl,0.9,0.8,1.1,1.3,-3.5,ok,true,false,designs/synthetic-e10.cif,
            dft,,synthetic-e20,20,MgO,0.5,0.2,0.5,0.4,-4.0,ok,true,true,designs/synthetic-e20.cif,designs/synthetic-e20.relaxed.cif
            dft,,synthetic-e30,30,KBr,0.3,-1,2.0,,,scf_not_converged,true,false,designs/synthetic-e30.cif,
            top,2,,35,LiF,0.8,,1.2,,,,true,false,designs/top-02.cif,
            """ + "\n");
        File.WriteAllText(Path.Combine(dir, "designs", "synthetic-e10.cif"), NaClCif);
        File.WriteAllText(Path.Combine(dir, "best", "01_NaCl.cif"), NaClCif);
    }

    /// <summary>
    /// A CQL run's folder: options.json, scalars.csv (20 rows every 50 steps; loss 10/step·50, conservative 0.5, td 0,
    /// and an lr column), and heldout.csv (4 evaluations; accuracy step/1000, validity 0.9, no similarity column).
    /// </summary>
    public static void Offline(string dir)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "options.json"),
            """{"Algorithm":"Cql","Conditioned":true,"CqlWeight":1,"LearningRate":0.0003,"Steps":1000,"Seed":0,"Reward":{"Alpha1":1,"TargetBandGap":1.12}}""");
        var scalars = new StringBuilder("step,wall_s,loss,conservative,td,mean_q,steps_per_s,lr\n");
        for (int i = 1; i <= 20; i++)
            scalars.Append(Invariant($"{50 * i},{5.0 * i},{10.0 / i},0.5,0,{0.1 * i},10,{3e-4 * (1 - i / 40.0)}\n"));
        File.WriteAllText(Path.Combine(dir, "scalars.csv"), scalars.ToString());
        var heldout = new StringBuilder("step,wall_s,accuracy,validity,reconstruction,n\n");
        for (int i = 1; i <= 4; i++) heldout.Append(Invariant($"{250 * i},{25.0 * i},{250 * i / 1000.0},0.9,0.5,64\n"));
        File.WriteAllText(Path.Combine(dir, "heldout.csv"), heldout.ToString());
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private const string NaClCif = """
        data_NaCl
        _cell_length_a 5.64
        _cell_length_b 5.64
        _cell_length_c 5.64
        _cell_angle_alpha 90
        _cell_angle_beta 90
        _cell_angle_gamma 90
        _symmetry_space_group_name_H-M 'P 1'
        loop_
        _atom_site_label
        _atom_site_type_symbol
        _atom_site_fract_x
        _atom_site_fract_y
        _atom_site_fract_z
        Na1 Na 0 0 0
        Cl1 Cl 0.5 0.5 0.5

        """;
}
