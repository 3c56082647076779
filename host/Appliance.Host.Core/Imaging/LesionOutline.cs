namespace Appliance.Host.Core.Imaging;

/// <summary>
/// A lesion's outline as a dermatologist corrected it by hand: a closed polygon whose corners are
/// fractions of the frame (x of its width, y of its height), so it fits the frame at any size it
/// is shown or measured at; who drew it and when. It replaces the outline found automatically
/// for every measurement of that series; the audit trail keeps each correction.
/// </summary>
public sealed record LesionOutline(IReadOnlyList<double> X, IReadOnlyList<double> Y, string CorrectedBy, DateTimeOffset CorrectedAt)
{
    public const int MaxPoints = 512;

    /// <summary>Why the outline cannot be kept, or null when it can.</summary>
    public string? Problem() =>
        X is null || Y is null || X.Count != Y.Count ? "the outline's corners do not pair up"
        : X.Count < 3 ? "an outline needs at least three corners"
        : X.Count > MaxPoints ? $"an outline has at most {MaxPoints} corners"
        : X.Concat(Y).Any(v => !double.IsFinite(v) || v < 0 || v > 1) ? "every corner of the outline must lie on the frame"
        : string.IsNullOrWhiteSpace(CorrectedBy) ? "a correction names who made it"
        : null;

    /// <summary>The pixels of a <paramref name="width"/>×<paramref name="height"/> frame whose centres lie inside the polygon (even–odd rule).</summary>
    public bool[] Rasterise(int width, int height)
    {
        var mask = new bool[width * height];
        var (xs, ys) = (X.Select(x => x * width).ToArray(), Y.Select(y => y * height).ToArray());
        var crossings = new List<double>();
        for (var row = 0; row < height; row++)
        {
            var y = row + 0.5;
            crossings.Clear();
            for (int i = 0, j = xs.Length - 1; i < xs.Length; j = i++)
            {
                if ((ys[i] > y) != (ys[j] > y))
                {
                    crossings.Add(xs[i] + ((y - ys[i]) / (ys[j] - ys[i]) * (xs[j] - xs[i])));
                }
            }

            crossings.Sort();
            for (var k = 0; k + 1 < crossings.Count; k += 2)
            {
                // Pixel x is inside when its centre x + 0.5 lies between the two crossings.
                var first = Math.Max(0, (int)Math.Ceiling(crossings[k] - 0.5));
                var last = Math.Min(width - 1, (int)Math.Floor(crossings[k + 1] - 0.5));
                for (var x = first; x <= last; x++)
                {
                    mask[(row * width) + x] = true;
                }
            }
        }

        return mask;
    }
}
