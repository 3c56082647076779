namespace Appliance.Calibration;

/// <summary>How a colour correction maps a camera's linear RGB to true linear RGB.</summary>
public enum CorrectionModel
{
    /// <summary>A 3×3 matrix: exact for a camera whose channels mix linearly.</summary>
    Linear3x3,

    /// <summary>
    /// Finlayson's root-polynomial of degree 2 (R, G, B, √RG, √GB, √RB): like the matrix,
    /// unchanged by exposure (every term scales with it), and able to follow a sensor whose
    /// response is not a pure linear mix.
    /// </summary>
    RootPolynomial2,
}

/// <summary>
/// A fitted colour correction: one row of weights per output channel over the model's terms,
/// fitted by least squares on calibration patches whose true colours are known.
/// </summary>
public sealed record ColourCorrection(CorrectionModel Model, double[][] Weights)
{
    public LinearRgb Apply(LinearRgb measured)
    {
        var terms = Terms(Model, measured);
        return new LinearRgb(Dot(Weights[0], terms), Dot(Weights[1], terms), Dot(Weights[2], terms));
    }

    /// <summary>Least squares over the patches: for each output channel, the weights that best map the measured terms to the truth.</summary>
    public static ColourCorrection Fit(CorrectionModel model, IReadOnlyList<LinearRgb> measured, IReadOnlyList<LinearRgb> truth)
    {
        ArgumentNullException.ThrowIfNull(measured);
        ArgumentNullException.ThrowIfNull(truth);
        if (measured.Count != truth.Count)
        {
            throw new ArgumentException("one true colour per measured patch", nameof(truth));
        }

        var rows = measured.Select(m => Terms(model, m)).ToArray();
        var k = rows[0].Length;
        if (measured.Count < k)
        {
            throw new ArgumentException($"{model} needs at least {k} patches, not {measured.Count}", nameof(measured));
        }

        // Normal equations AᵀA w = Aᵀy, one right-hand side per channel.
        var ata = new double[k, k];
        foreach (var row in rows)
        {
            for (var i = 0; i < k; i++)
            {
                for (var j = 0; j < k; j++)
                {
                    ata[i, j] += row[i] * row[j];
                }
            }
        }

        var weights = new double[3][];
        for (var channel = 0; channel < 3; channel++)
        {
            var aty = new double[k];
            for (var p = 0; p < rows.Length; p++)
            {
                var target = channel switch { 0 => truth[p].R, 1 => truth[p].G, _ => truth[p].B };
                for (var i = 0; i < k; i++)
                {
                    aty[i] += rows[p][i] * target;
                }
            }

            weights[channel] = Solve((double[,])ata.Clone(), aty);
        }

        return new ColourCorrection(model, weights);
    }

    /// <summary>
    /// Fits every model and keeps the one that predicts best on patches it was not fitted on
    /// (leave-one-out over the given patches, mean CIEDE2000); the root-polynomial must beat
    /// the matrix by a tenth to be chosen, since more terms also fit noise.
    /// </summary>
    public static ColourCorrection FitBest(IReadOnlyList<LinearRgb> measured, IReadOnlyList<LinearRgb> truth)
    {
        var matrixError = LeaveOneOutError(CorrectionModel.Linear3x3, measured, truth);
        var rootError = measured.Count > 7 ? LeaveOneOutError(CorrectionModel.RootPolynomial2, measured, truth) : double.PositiveInfinity;
        var model = rootError < 0.9 * matrixError ? CorrectionModel.RootPolynomial2 : CorrectionModel.Linear3x3;
        return Fit(model, measured, truth);
    }

    /// <summary>Mean ΔE00 over the patches, each predicted by a fit on all the others.</summary>
    public static double LeaveOneOutError(CorrectionModel model, IReadOnlyList<LinearRgb> measured, IReadOnlyList<LinearRgb> truth)
    {
        ArgumentNullException.ThrowIfNull(measured);
        ArgumentNullException.ThrowIfNull(truth);
        var total = 0.0;
        for (var left = 0; left < measured.Count; left++)
        {
            var fit = Fit(model, [.. measured.Where((_, i) => i != left)], [.. truth.Where((_, i) => i != left)]);
            total += DeltaE2000.Between(ColourSpaces.ToLab(fit.Apply(measured[left])), ColourSpaces.ToLab(truth[left]));
        }

        return total / measured.Count;
    }

    private static double[] Terms(CorrectionModel model, LinearRgb c)
    {
        var (r, g, b) = (Math.Max(c.R, 0), Math.Max(c.G, 0), Math.Max(c.B, 0));
        return model switch
        {
            CorrectionModel.Linear3x3 => [r, g, b],
            CorrectionModel.RootPolynomial2 => [r, g, b, Math.Sqrt(r * g), Math.Sqrt(g * b), Math.Sqrt(r * b)],
            _ => throw new ArgumentOutOfRangeException(nameof(model)),
        };
    }

    private static double Dot(double[] w, double[] x)
    {
        var sum = 0.0;
        for (var i = 0; i < w.Length; i++)
        {
            sum += w[i] * x[i];
        }

        return sum;
    }

    /// <summary>Gaussian elimination with partial pivoting; a singular system (patches that do not span the colours) is an error.</summary>
    private static double[] Solve(double[,] a, double[] y)
    {
        var n = y.Length;
        for (var col = 0; col < n; col++)
        {
            var pivot = col;
            for (var row = col + 1; row < n; row++)
            {
                if (Math.Abs(a[row, col]) > Math.Abs(a[pivot, col]))
                {
                    pivot = row;
                }
            }

            if (Math.Abs(a[pivot, col]) < 1e-12)
            {
                throw new InvalidOperationException("the calibration patches do not span enough colours to fit this model");
            }

            if (pivot != col)
            {
                for (var j = 0; j < n; j++)
                {
                    (a[col, j], a[pivot, j]) = (a[pivot, j], a[col, j]);
                }

                (y[col], y[pivot]) = (y[pivot], y[col]);
            }

            for (var row = col + 1; row < n; row++)
            {
                var factor = a[row, col] / a[col, col];
                for (var j = col; j < n; j++)
                {
                    a[row, j] -= factor * a[col, j];
                }

                y[row] -= factor * y[col];
            }
        }

        var x = new double[n];
        for (var row = n - 1; row >= 0; row--)
        {
            var sum = y[row];
            for (var j = row + 1; j < n; j++)
            {
                sum -= a[row, j] * x[j];
            }

            x[row] = sum / a[row, row];
        }

        return x;
    }
}

/// <summary>Colour accuracy over a set of patches: mean and worst CIEDE2000 against the truth.</summary>
public sealed record ColourAccuracy(double MeanDeltaE, double MaxDeltaE, int Patches)
{
    public static ColourAccuracy Of(IReadOnlyList<LinearRgb> rendered, IReadOnlyList<Lab> truth)
    {
        ArgumentNullException.ThrowIfNull(rendered);
        ArgumentNullException.ThrowIfNull(truth);
        var differences = rendered.Select((c, i) => DeltaE2000.Between(ColourSpaces.ToLab(c), truth[i])).ToList();
        return new ColourAccuracy(differences.Average(), differences.Max(), differences.Count);
    }
}
