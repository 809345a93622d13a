using System.Globalization;
using System.Text.RegularExpressions;

namespace CrystalActors.Dft.Parsing;

/// <summary>
/// Reads the text pw.x (Quantum ESPRESSO 6.x) writes to standard output. Pure and lenient: it never throws on
/// odd input, takes the last occurrence of every quantity (so duplicated blocks do no harm), ignores an
/// unterminated last line (a run killed mid-write could otherwise yield a torn number such as '-1332.07'), and
/// reports what it could not read in <see cref="PwOutput.Warnings"/>. A value pw.x printed as 'NaN' or as a field of
/// '*' (too large for its format) is read as NaN, not skipped, so that the result is judged unphysical rather than
/// mistaken for a run that printed nothing.
/// </summary>
public static partial class PwOutputParser
{
    public static PwOutput Parse(string text, string? crashFileText = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        var warnings = new List<string>();
        var lines = SplitCompleteLines(text, warnings);

        // A file holding two runs back to back (a rerun appended to the same file) describes the last one.
        int start = 0;
        for (int i = lines.Count - 1; i >= 0; i--)
            if (lines[i].Contains("Program PWSCF", StringComparison.Ordinal)) { start = i; break; }

        double? energy = null, homo = null, lumo = null, fermi = null, totMag = null, absMag = null, wall = null, nelec = null;
        (double, double)? spinFermi = null;
        int? nbnd = null, convergedIn = null, notConvergedAfter = null;
        bool convergedLine = false, notConvergedLine = false, jobDone = false;
        var accuracies = new List<double>();
        int iterationLines = 0;
        var errors = new List<PwError>();
        var eig = new EigenvalueCollector();
        int? nat = null;
        IReadOnlyList<string> speciesLabels = [];
        PrintedNumber? alatLine = null, celldm1 = null;
        IReadOnlyList<IReadOnlyList<PrintedNumber>> axes = [];
        IReadOnlyList<PwEchoSite> sites = [];

        for (int i = start; i < lines.Count; i++)
        {
            string line = lines[i];
            if (IsErrorFrame(line))
            {
                i = ReadErrorBlock(lines, i, errors);
                continue;
            }
            if (eig.Feed(line)) continue;

            Match m;
            if (line.Contains("Self-consistent Calculation", StringComparison.Ordinal))
            {
                // A new SCF cycle: counts restart (only one per scf run, but be safe for relax-like outputs).
                accuracies.Clear();
                iterationLines = 0;
            }
            else if ((m = IterationRegex().Match(line)).Success)
            {
                iterationLines++;
                // A numbered iteration that does not follow the previous one means a duplicated block: realign.
                // Iterations count from 1; "#   0" or a negative number is a damaged line, counted but not used to realign.
                if (int.TryParse(m.Groups[1].Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n >= 1)
                {
                    iterationLines = n;
                    if (accuracies.Count >= n) accuracies.RemoveRange(n - 1, accuracies.Count - (n - 1));
                }
            }
            else if ((m = AccuracyRegex().Match(line)).Success)
            {
                if (TryDouble(m.Groups[1].Value, out double acc)) accuracies.Add(acc);
            }
            else if ((m = FinalEnergyRegex().Match(line)).Success)
            {
                energy = Field(m.Groups[1].Value, line, warnings);
            }
            else if ((m = HomoLumoRegex().Match(line)).Success)
            {
                homo = Field(m.Groups[1].Value, line, warnings);
                lumo = Field(m.Groups[2].Value, line, warnings);
            }
            else if ((m = HomoOnlyRegex().Match(line)).Success)
            {
                homo = Field(m.Groups[1].Value, line, warnings);
                lumo = null;
            }
            else if ((m = FermiRegex().Match(line)).Success)
            {
                fermi = Field(m.Groups[1].Value, line, warnings);
            }
            else if ((m = SpinFermiRegex().Match(line)).Success)
            {
                spinFermi = (Field(m.Groups[1].Value, line, warnings), Field(m.Groups[2].Value, line, warnings));
            }
            else if ((m = NatRegex().Match(line)).Success)
            {
                if (int.TryParse(m.Groups[1].Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int atoms) && atoms > 0) nat = atoms;
                else warnings.Add($"unreadable number of atoms: '{line.Trim()}'");
            }
            else if ((m = AlatRegex().Match(line)).Success)
            {
                alatLine = Printed(m.Groups[1].Value);
            }
            else if ((m = Celldm1Regex().Match(line)).Success)
            {
                celldm1 = Printed(m.Groups[1].Value);
            }
            else if (line.Contains("crystal axes: (cart. coord. in units of alat)", StringComparison.Ordinal))
            {
                i = ReadAxes(lines, i, warnings, out axes);
            }
            else if (SpeciesTableRegex().IsMatch(line))
            {
                i = ReadSpeciesTable(lines, i, warnings, out speciesLabels);
            }
            else if (line.Contains("positions (alat units)", StringComparison.Ordinal))
            {
                i = ReadSites(lines, i, warnings, out sites);
            }
            else if ((m = ConvergedRegex().Match(line)).Success)
            {
                convergedLine = true;
                convergedIn = ParseIterationCount(m.Groups[1].Value);
            }
            else if ((m = NotConvergedRegex().Match(line)).Success)
            {
                notConvergedLine = true;
                notConvergedAfter = ParseIterationCount(m.Groups[1].Value);
            }
            else if ((m = TotalMagRegex().Match(line)).Success)
            {
                totMag = D(m.Groups[1].Value);
            }
            else if ((m = AbsMagRegex().Match(line)).Success)
            {
                absMag = D(m.Groups[1].Value);
            }
            else if ((m = WallRegex().Match(line)).Success)
            {
                wall = ParseClock(m.Groups[1].Value);
                if (wall is null) warnings.Add($"unreadable wall time: '{line.Trim()}'");
            }
            else if ((m = NelecRegex().Match(line)).Success)
            {
                nelec = D(m.Groups[1].Value);
            }
            else if ((m = NbndRegex().Match(line)).Success)
            {
                if (int.TryParse(m.Groups[1].Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int bands) && bands > 0) nbnd = bands;
                else warnings.Add($"unreadable number of bands: '{line.Trim()}'");
            }
            else if (line.Contains("JOB DONE.", StringComparison.Ordinal))
            {
                jobDone = true;
            }
        }

        if (crashFileText is not null)
        {
            var crashLines = SplitCompleteLines(crashFileText + "\n", warnings);
            for (int i = 0; i < crashLines.Count; i++)
                if (IsErrorFrame(crashLines[i])) i = ReadErrorBlock(crashLines, i, errors);
        }

        // pw.x prints the number only up to 999 ('***' beyond): trust a readable number, else count lines.
        int iterations = convergedIn ?? notConvergedAfter ?? iterationLines;
        bool converged = convergedLine && energy is not null;

        var eigenvalues = eig.Result(warnings);
        double? fermiForGap = fermi ?? (spinFermi is { } sf ? (sf.Item1 + sf.Item2) / 2 : null);
        double? gap = null;
        if (homo is not null && lumo is not null)
        {
            gap = Math.Max(0.0, lumo.Value - homo.Value);
        }
        else if (fermiForGap is not null && eigenvalues.Count > 0)
        {
            var edges = BandEdges.FromEigenvalues(eigenvalues, fermi, spinFermi);
            homo = edges.ValenceBandMaximumEv;
            lumo = edges.ConductionBandMinimumEv;
            gap = edges.BandGapEv;
        }

        // celldm(1) is alat to six decimals where the 'lattice parameter' line has four; it refines that line only
        // when the two agree, so a damaged celldm line cannot change the cell the output is checked against.
        var alat = alatLine is { } a && celldm1 is { } c && Math.Abs(c.Value - a.Value) <= a.Rounding + c.Rounding ? celldm1 : alatLine;

        return new PwOutput
        {
            TotalEnergyRy = energy,
            HomoEv = homo,
            LumoEv = lumo,
            BandGapEv = converged ? gap : null,
            FermiEnergyEv = fermiForGap,
            SpinFermiEnergiesEv = spinFermi,
            Converged = converged,
            ConvergenceNotAchieved = notConvergedLine,
            ScfIterations = iterations,
            ScfAccuraciesRy = accuracies,
            TotalMagnetization = totMag,
            AbsoluteMagnetization = absMag,
            WallTimeSeconds = wall,
            NumberOfElectrons = nelec,
            NumberOfBands = nbnd,
            JobDone = jobDone,
            Errors = errors,
            EigenvaluesEv = eigenvalues,
            InputEcho = new PwInputEcho { NumberOfAtoms = nat, SpeciesLabels = speciesLabels, AlatBohr = alat, AxesAlat = axes, Sites = sites },
            Warnings = warnings,
        };
    }

    /// <summary>Parses a pw.x clock such as '35.17s', ' 4m 3.49s' or ' 1h23m' into seconds.</summary>
    public static double? ParseClock(string clock)
    {
        var m = ClockRegex().Match(clock.Trim());
        if (!m.Success || m.Length == 0) return null;
        double s = 0;
        if (m.Groups["h"].Success) s += 3600 * D(m.Groups["h"].Value);
        if (m.Groups["m"].Success) s += 60 * D(m.Groups["m"].Value);
        if (m.Groups["s"].Success) s += D(m.Groups["s"].Value);
        return m.Groups["h"].Success || m.Groups["m"].Success || m.Groups["s"].Success ? s : null;
    }

    private static List<string> SplitCompleteLines(string text, List<string> warnings)
    {
        var lines = new List<string>(text.Split('\n'));
        // Split leaves "" after a final '\n'; anything else there is a line the writer never finished.
        string last = lines[^1];
        lines.RemoveAt(lines.Count - 1);
        if (last.Length > 0) warnings.Add($"ignored unterminated last line: '{Truncate(last)}'");
        for (int i = 0; i < lines.Count; i++) lines[i] = lines[i].TrimEnd('\r');
        return lines;
    }

    private static bool IsErrorFrame(string line)
    {
        var t = line.AsSpan().Trim();
        return t.Length >= 8 && t.StartsWith("%%%%") && t.TrimStart('%').IsEmpty;
    }

    /// <summary>Reads a %%%% block starting at <paramref name="open"/>; returns the index of its closing frame.</summary>
    private static int ReadErrorBlock(List<string> lines, int open, List<PwError> errors)
    {
        int i = open + 1;
        string? routine = null;
        int code = 0;
        var message = new List<string>();
        for (; i < lines.Count && !IsErrorFrame(lines[i]); i++)
        {
            var m = ErrorHeaderRegex().Match(lines[i]);
            if (!m.Success) m = CrashHeaderRegex().Match(lines[i]);
            if (TaskLineRegex().IsMatch(lines[i])) continue; // CRASH: one block per MPI task, otherwise identical
            if (m.Success && routine is null)
            {
                routine = m.Groups[1].Value.Trim();
                int.TryParse(m.Groups[2].Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out code);
            }
            else if (lines[i].Trim().Length > 0)
            {
                message.Add(lines[i].Trim());
            }
        }
        if (routine is not null || message.Count > 0)
        {
            var error = new PwError(routine ?? "unknown", code, string.Join(" ", message));
            if (!errors.Contains(error)) errors.Add(error);
        }
        return i; // the closing frame (or the end): the caller's loop moves past it
    }

    /// <summary>Reads the three 'a(n) = ( x y z )' rows after the 'crystal axes' header; returns the index of the last row read.</summary>
    private static int ReadAxes(List<string> lines, int header, List<string> warnings, out IReadOnlyList<IReadOnlyList<PrintedNumber>> axes)
    {
        var rows = new List<IReadOnlyList<PrintedNumber>>();
        int i = header + 1;
        for (; i < lines.Count && rows.Count < 3; i++)
        {
            var m = AxisRegex().Match(lines[i]);
            if (!m.Success || m.Groups[1].Value != (rows.Count + 1).ToString(CultureInfo.InvariantCulture)) break;
            var row = Numbers(m.Groups[2].Value);
            if (row.Count != 3) break;
            rows.Add(row);
        }
        axes = rows.Count == 3 ? rows : [];
        if (rows.Count != 3) warnings.Add($"crystal axes incomplete: {rows.Count} of 3 rows readable");
        return i - 1;
    }

    /// <summary>Reads the species labels of the 'atomic species   valence    mass' table; returns the index of its last row.</summary>
    private static int ReadSpeciesTable(List<string> lines, int header, List<string> warnings, out IReadOnlyList<string> labels)
    {
        var read = new List<string>();
        int i = header + 1;
        for (; i < lines.Count; i++)
        {
            var m = SpeciesRowRegex().Match(lines[i]);
            if (!m.Success) break;
            read.Add(m.Groups[1].Value);
        }
        labels = CutOff(i, lines, "atomic species", warnings) ? [] : read;
        return i - 1;
    }

    /// <summary>
    /// A table that runs to the end of the output may have lost rows to a kill; it is dropped (with a warning) so
    /// that a truncated run is never taken for a run of another crystal.
    /// </summary>
    private static bool CutOff(int end, List<string> lines, string table, List<string> warnings)
    {
        if (end < lines.Count) return false;
        warnings.Add($"{table} table cut off by the end of the output");
        return true;
    }

    /// <summary>
    /// Reads the 'site n. atom positions (alat units)' table; returns the index of its last row. A row whose position
    /// is unreadable keeps its place with NaN coordinates, so that the site count stays what pw.x printed.
    /// </summary>
    private static int ReadSites(List<string> lines, int header, List<string> warnings, out IReadOnlyList<PwEchoSite> sites)
    {
        var read = new List<PwEchoSite>();
        int i = header + 1;
        for (; i < lines.Count; i++)
        {
            var m = SiteRegex().Match(lines[i]);
            if (!m.Success) break;
            var tau = Numbers(m.Groups[2].Value);
            if (tau.Count != 3)
            {
                warnings.Add($"unreadable position: '{lines[i].Trim()}'");
                tau = [new(double.NaN, double.NaN), new(double.NaN, double.NaN), new(double.NaN, double.NaN)];
            }
            read.Add(new PwEchoSite(m.Groups[1].Value, tau));
        }
        sites = CutOff(i, lines, "positions", warnings) ? [] : read;
        return i - 1;
    }

    /// <summary>The numbers of a fixed-format row, which may run together ('-10.1234567-10.1234567').</summary>
    private static List<PrintedNumber> Numbers(string row) =>
        FieldTokenRegex().Matches(row).Select(t => Printed(t.Value)).ToList();

    /// <summary>A fixed-format number with the step of its last digit; NaN (step NaN) for 'NaN' or a '****' field.</summary>
    private static PrintedNumber Printed(string s)
    {
        double v = FieldValue(s);
        int dot = s.IndexOf('.');
        if (!double.IsFinite(v) || dot < 0) return new(v, double.NaN);
        return new(v, Math.Pow(10, -(s.Length - dot - 1)));
    }

    /// <summary>A value field; warns when pw.x printed it as something other than a finite number.</summary>
    private static double Field(string s, string line, List<string> warnings)
    {
        double v = FieldValue(s);
        if (!double.IsFinite(v)) warnings.Add($"not a finite number: '{line.Trim()}'");
        return v;
    }

    /// <summary>gfortran writes NaN as 'NaN', infinities as '[-]Infinity' or '[-]Inf', and a value too wide for its field as '*'s.</summary>
    private static double FieldValue(string s)
    {
        if (s.StartsWith('*')) return double.NaN;
        if (s.Contains("NaN", StringComparison.Ordinal)) return double.NaN;
        if (s.Contains("Inf", StringComparison.Ordinal)) return s.StartsWith('-') ? double.NegativeInfinity : double.PositiveInfinity;
        return TryDouble(s, out double v) ? v : double.NaN;
    }

    private static int? ParseIterationCount(string s) =>
        int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) ? n : null;

    private static double D(string s) => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);

    private static bool TryDouble(string s, out double v) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out v);

    private static string Truncate(string s) => s.Length <= 80 ? s : s[..80] + "...";

    [GeneratedRegex(@"^\s*iteration #\s*(\S+)")]
    private static partial Regex IterationRegex();

    [GeneratedRegex(@"estimated scf accuracy\s+<\s+(\d+\.?\d*(?:[Ee][-+]?\d+)?)\s+Ry")]
    private static partial Regex AccuracyRegex();

    /// <summary>
    /// One fixed-format field: a number, gfortran's NaN or infinity, or the '*'s of an overflow. No space is required
    /// around it: a wide negative value fills its field ('=-1234567.12345678 Ry').
    /// </summary>
    private const string FieldPattern = @"-?\d*\.\d+|[-+]?(?:NaN|Infinity|Inf)|\*+";

    [GeneratedRegex(FieldPattern)]
    private static partial Regex FieldTokenRegex();

    [GeneratedRegex(@"^!\s+total energy\s+=\s*(" + FieldPattern + @")\s*Ry")]
    private static partial Regex FinalEnergyRegex();

    [GeneratedRegex(@"highest occupied, lowest unoccupied level \(ev\):\s*(" + FieldPattern + @")\s*(" + FieldPattern + ")")]
    private static partial Regex HomoLumoRegex();

    [GeneratedRegex(@"highest occupied level \(ev\):\s*(" + FieldPattern + ")")]
    private static partial Regex HomoOnlyRegex();

    [GeneratedRegex(@"the Fermi energy is\s*(" + FieldPattern + @")\s*ev")]
    private static partial Regex FermiRegex();

    [GeneratedRegex(@"the spin up/dw Fermi energies are\s*(" + FieldPattern + @")\s*(" + FieldPattern + @")\s*ev")]
    private static partial Regex SpinFermiRegex();

    [GeneratedRegex(@"^\s*number of atoms/cell\s*=\s*(\S+)")]
    private static partial Regex NatRegex();

    [GeneratedRegex(@"^\s*lattice parameter \(alat\)\s*=\s*(" + FieldPattern + @")\s*a\.u\.")]
    private static partial Regex AlatRegex();

    [GeneratedRegex(@"^\s*celldm\(1\)=\s*(" + FieldPattern + ")")]
    private static partial Regex Celldm1Regex();

    [GeneratedRegex(@"^\s*a\((\d)\)\s*=\s*\((.*)\)")]
    private static partial Regex AxisRegex();

    [GeneratedRegex(@"^\s*atomic species\s+valence\s+mass")]
    private static partial Regex SpeciesTableRegex();

    [GeneratedRegex(@"^\s*(\S+)\s+(?:" + FieldPattern + @")\s+(?:" + FieldPattern + @")\s+\S")]
    private static partial Regex SpeciesRowRegex();

    [GeneratedRegex(@"^\s*\S+\s+(\S+)\s+tau\(\s*\S+\)\s*=\s*\((.*)\)")]
    private static partial Regex SiteRegex();

    [GeneratedRegex(@"convergence has been achieved in\s+(\S+)\s+iterations")]
    private static partial Regex ConvergedRegex();

    [GeneratedRegex(@"convergence NOT achieved after\s+(\S+)\s+iterations")]
    private static partial Regex NotConvergedRegex();

    [GeneratedRegex(@"^\s*total magnetization\s+=\s+(-?\d+\.\d+)\s+Bohr")]
    private static partial Regex TotalMagRegex();

    [GeneratedRegex(@"^\s*absolute magnetization\s+=\s+(-?\d+\.\d+)\s+Bohr")]
    private static partial Regex AbsMagRegex();

    [GeneratedRegex(@"^\s*PWSCF\s+:.*CPU(.*)WALL")]
    private static partial Regex WallRegex();

    [GeneratedRegex(@"^\s*(?:(?<h>\d+)h)?\s*(?:(?<m>\d+)m)?\s*(?:(?<s>\d+\.?\d*)s)?\s*$")]
    private static partial Regex ClockRegex();

    [GeneratedRegex(@"number of electrons\s+=\s+(\d+\.\d+)")]
    private static partial Regex NelecRegex();

    [GeneratedRegex(@"number of Kohn-Sham states=\s+(\d+)")]
    private static partial Regex NbndRegex();

    [GeneratedRegex(@"Error in routine\s+(.+?)\s*\((-?\d+)\)\s*:")]
    private static partial Regex ErrorHeaderRegex();

    [GeneratedRegex(@"^\s*from\s+(\S+)\s*:\s*error\s*#\s*(-?\d+)")]
    private static partial Regex CrashHeaderRegex();

    [GeneratedRegex(@"^\s*task\s*#\s*\d+\s*$")]
    private static partial Regex TaskLineRegex();

    /// <summary>
    /// Collects the eigenvalue listing that follows 'End of self-consistent calculation': optional SPIN UP /
    /// SPIN DOWN headers, then per k-point a 'k = ... bands (ev):' header and rows of numbers. Numbers are
    /// matched by their four decimals because wide negative values run together ('-100.1234-100.1234'); 'NaN' and
    /// '****' are kept as NaN.
    /// </summary>
    private sealed partial class EigenvalueCollector
    {
        private List<List<List<double>>> _spins = [];
        private List<double>? _currentK;
        private bool _active;
        private bool _inOccupations;

        /// <summary>Returns true when the line belonged to the eigenvalue listing.</summary>
        public bool Feed(string line)
        {
            if (line.Contains("End of self-consistent calculation", StringComparison.Ordinal)
                || line.Contains("End of band structure calculation", StringComparison.Ordinal))
            {
                _spins = [[]];
                _currentK = null;
                _active = true;
                _inOccupations = false;
                return true;
            }
            if (!_active) return false;

            if (line.Contains("SPIN UP", StringComparison.Ordinal)) { _currentK = null; return true; }
            if (line.Contains("SPIN DOWN", StringComparison.Ordinal))
            {
                _spins.Add([]);
                _currentK = null;
                return true;
            }
            if (line.Contains("bands (ev)", StringComparison.Ordinal))
            {
                _currentK = [];
                _spins[^1].Add(_currentK);
                _inOccupations = false;
                return true;
            }
            if (line.Contains("occupation numbers", StringComparison.Ordinal)) { _inOccupations = true; return true; }
            string t = line.Trim();
            if (t.Length == 0) return true;
            if (_currentK is not null && NumberRowRegex().IsMatch(t))
            {
                if (!_inOccupations)
                    foreach (Match m in EigenvalueTokenRegex().Matches(t)) _currentK.Add(FieldValue(m.Value));
                return true;
            }
            // Any other line (Fermi energy, HOMO/LUMO, '!' energy, ...) closes the listing.
            _active = false;
            return false;
        }

        public IReadOnlyList<IReadOnlyList<IReadOnlyList<double>>> Result(List<string> warnings)
        {
            var spins = _spins.Where(s => s.Count > 0).ToList();
            if (spins.Count == 0) return [];
            // A listing torn by a kill leaves a short last k-point (and an overflowed '****' run of fields a short
            // row); it cannot be trusted for band edges.
            int nbnd = spins[0][0].Count;
            if (nbnd == 0 || spins.Any(s => s.Any(k => k.Count != nbnd)) || (spins.Count == 2 && spins[0].Count != spins[1].Count))
            {
                warnings.Add("eigenvalue listing incomplete: k-points with different numbers of bands");
                return [];
            }
            return spins.Select(s => (IReadOnlyList<IReadOnlyList<double>>)s.Select(k => (IReadOnlyList<double>)k).ToList()).ToList();
        }

        [GeneratedRegex(@"^(?:[-\d.\s*]|NaN|Infinity|Inf)+$")]
        private static partial Regex NumberRowRegex();

        /// <summary>An eigenvalue has four decimals, which splits wide negative values that run together; or it is not a number.</summary>
        [GeneratedRegex(@"-?\d+\.\d{4}|-?(?:NaN|Infinity|Inf)|\*+")]
        private static partial Regex EigenvalueTokenRegex();
    }
}
