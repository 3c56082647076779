using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Appliance.Firmware.Core;

/// <summary>
/// What the quality checks need from one frame, measured in two passes over its RGB pixels and
/// without a full-resolution copy: a 12 MP frame is 36 MB, and a float luma plane of it would
/// be 48 MB more. Luma is BT.601 (0.299 R + 0.587 G + 0.114 B), computed in integers.
/// <list type="bullet">
/// <item>Pass one: mean level, share of clipped pixels, which 8×8 blocks hold a highlight
/// (luma at 250 or more), and a quarter-resolution luma plane for the motion search.</item>
/// <item>Pass two: luma binned to the review grid (about 640 wide), on which the width of the
/// sharpest edges is measured (<see cref="EdgeBlurEstimator"/>), leaving out highlight blocks and
/// their neighbours, since specular highlights and their halos are sharp whatever the focus.</item>
/// </list>
/// Both passes run over rows in parallel. Disposing returns the quarter-resolution
/// plane to the pool it came from.
/// </summary>
public sealed class FrameMeasurement : IDisposable
{
    /// <summary>The width sharpness is judged at: the appliance's review size.</summary>
    public const int ReviewWidth = 640;

    /// <summary>Side of the blocks in which highlights are marked, in pixels.</summary>
    public const int BlockSize = 8;
    private const int BlockShift = 3;

    /// <summary>Luma (×1000) at or above which a pixel is treated as a highlight.</summary>
    private const int SaturatedLuma1000 = 250_000;

    private const int BandBlockRows = 4;

    /// <summary>Never more workers than cores: unbounded loops grab pool threads the camera and uplink need.</summary>
    internal static ParallelOptions PerCore => new() { MaxDegreeOfParallelism = Environment.ProcessorCount };

    private readonly FrameBufferPool? _pool;

    private FrameMeasurement(CapturedFrame frame, FrameBufferPool? pool)
    {
        _pool = pool;
        Frame = frame;
        BlocksX = (frame.Width + BlockSize - 1) >> BlockShift;
        BlocksY = (frame.Height + BlockSize - 1) >> BlockShift;
        QuarterWidth = frame.Width / 4;
        QuarterHeight = frame.Height / 4;
        QuarterLuma = pool?.RentFloats(QuarterWidth * QuarterHeight) ?? new float[QuarterWidth * QuarterHeight];
        Highlight = new bool[BlocksX * BlocksY];
    }

    public CapturedFrame Frame { get; }

    /// <summary>Mean luma, 0–255.</summary>
    public double Mean { get; private set; }

    /// <summary>Share of pixels with any channel at 255.</summary>
    public double ClippedFraction { get; private set; }

    /// <summary>
    /// Width of the frame's sharpest edges (<see cref="EdgeBlurEstimator"/>) in pixels of the
    /// review grid, outside highlights; NaN where too few edges stand above the noise to say.
    /// </summary>
    public double EdgeBlur { get; private set; } = double.NaN;

    /// <summary>
    /// Side, in frame pixels, of one pixel of the grid sharpness is judged on: the frame binned
    /// down to about <see cref="ReviewWidth"/> wide, so that a limit in pixels means the same
    /// share of the skin at any resolution and a 12 MP frame costs no more than a small one.
    /// </summary>
    public int ReviewScale => Math.Max(1, Frame.Width / ReviewWidth);

    /// <summary>Mean luma outside highlights: what highlights are replaced with for the motion search.</summary>
    public float BackgroundLuma { get; private set; }

    internal int BlocksX { get; }

    internal int BlocksY { get; }

    /// <summary>Blocks holding a highlight or next to one.</summary>
    internal bool[] Highlight { get; }

    internal int QuarterWidth { get; }

    internal int QuarterHeight { get; }

    /// <summary>Luma at quarter resolution (mean of 4×4), highlights replaced by <see cref="BackgroundLuma"/>.</summary>
    internal float[] QuarterLuma { get; }

    public static FrameMeasurement Of(CapturedFrame frame, FrameBufferPool? pool = null)
    {
        ArgumentNullException.ThrowIfNull(frame);
        if (frame.PixelFormat != CapturedFrame.Rgb24 || frame.Pixels.Length != frame.Width * frame.Height * 3 || frame.Width < 64 || frame.Height < 64)
        {
            throw new ArgumentException("expected a packed rgb24 frame of at least 64×64", nameof(frame));
        }

        var m = new FrameMeasurement(frame, pool);
        m.MeasureLevels();
        m.DilateHighlights();
        m.MeasureEdgeBlur();
        m.FlattenQuarterLuma();
        return m;
    }

    public void Dispose() => _pool?.Return(QuarterLuma);

    /// <summary>Luma ×1000 of one pixel, in integers.</summary>
    internal static int Luma1000(byte[] p, int i) => (299 * p[i]) + (587 * p[i + 1]) + (114 * p[i + 2]);

    private int Bands => (BlocksY + BandBlockRows - 1) / BandBlockRows;

    private void MeasureLevels()
    {
        var width = Frame.Width;
        var height = Frame.Height;
        long totalSum = 0;
        long totalClipped = 0;
        Parallel.For(0, Bands, PerCore, band =>
        {
            ref var pixels = ref MemoryMarshal.GetArrayDataReference(Frame.Pixels);
            ref var highlight = ref MemoryMarshal.GetArrayDataReference(Highlight);
            ref var quarter = ref MemoryMarshal.GetArrayDataReference(QuarterLuma);
            // Sums of luma (×1000) over each 4×4 cell of the four rows in hand.
            var cells = new int[QuarterWidth + 1];
            ref var cell = ref MemoryMarshal.GetArrayDataReference(cells);
            long sum = 0;
            long clipped = 0;
            var y1 = Math.Min(height, (band + 1) * BandBlockRows * BlockSize);
            for (var y = band * BandBlockRows * BlockSize; y < y1; y++)
            {
                var blockRow = (y >> BlockShift) * BlocksX;
                var i = y * width * 3;
                for (var x = 0; x < width; x++, i += 3)
                {
                    int r = Unsafe.Add(ref pixels, i), g = Unsafe.Add(ref pixels, i + 1), b = Unsafe.Add(ref pixels, i + 2);
                    var luma = (299 * r) + (587 * g) + (114 * b);
                    sum += luma;
                    // 1 when the brightest channel is at 255, 0 otherwise, without a branch.
                    clipped += (Math.Max(r, Math.Max(g, b)) + 1) >> 8;
                    if (luma >= SaturatedLuma1000)
                    {
                        Unsafe.Add(ref highlight, blockRow + (x >> BlockShift)) = true;
                    }

                    Unsafe.Add(ref cell, Math.Min(x >> 2, QuarterWidth)) += luma;
                }

                if ((y & 3) == 3)
                {
                    if ((y >> 2) < QuarterHeight)
                    {
                        var quarterRow = (y >> 2) * QuarterWidth;
                        for (var x = 0; x < QuarterWidth; x++)
                        {
                            Unsafe.Add(ref quarter, quarterRow + x) = Unsafe.Add(ref cell, x) * (1f / 16_000f);
                        }
                    }

                    Array.Clear(cells);
                }
            }

            Interlocked.Add(ref totalSum, sum);
            Interlocked.Add(ref totalClipped, clipped);
        });

        var pixelCount = (double)width * height;
        Mean = totalSum / 1000.0 / pixelCount;
        ClippedFraction = totalClipped / pixelCount;
    }

    /// <summary>Grows each highlight by one block: halos reach a few pixels past the clipped core.</summary>
    private void DilateHighlights()
    {
        var core = (bool[])Highlight.Clone();
        for (var by = 0; by < BlocksY; by++)
        {
            for (var bx = 0; bx < BlocksX; bx++)
            {
                if (!core[(by * BlocksX) + bx])
                {
                    continue;
                }

                for (var ny = Math.Max(0, by - 1); ny <= Math.Min(BlocksY - 1, by + 1); ny++)
                {
                    for (var nx = Math.Max(0, bx - 1); nx <= Math.Min(BlocksX - 1, bx + 1); nx++)
                    {
                        Highlight[(ny * BlocksX) + nx] = true;
                    }
                }
            }
        }
    }

    /// <summary>
    /// Luma on the review grid (each value the mean of <see cref="ReviewScale"/>² pixels), rows in
    /// parallel, and the edge blur measured on it with highlight blocks left out.
    /// </summary>
    private void MeasureEdgeBlur()
    {
        var k = ReviewScale;
        var (rw, rh) = (Frame.Width / k, Frame.Height / k);
        var review = _pool?.RentFloats(rw * rh) ?? new float[rw * rh];
        try
        {
            var norm = 0.001f / (k * k);
            // Each worker keeps its own row buffers: one pair per review row would be megabytes of garbage at 12 MP.
            Parallel.For(0, rh, PerCore, () => (Sums: new int[rw], Row: new int[Frame.Width]), (ry, _, buffers) =>
            {
                var (sums, row) = buffers;
                Array.Clear(sums);
                for (var dy = 0; dy < k; dy++)
                {
                    LumaRow((ry * k) + dy, row);
                    for (var rx = 0; rx < rw; rx++)
                    {
                        var x0 = rx * k;
                        for (var dx = 0; dx < k; dx++)
                        {
                            sums[rx] += row[x0 + dx];
                        }
                    }
                }

                for (var rx = 0; rx < rw; rx++)
                {
                    review[(ry * rw) + rx] = sums[rx] * norm;
                }

                return buffers;
            }, _ => { });

            // A glint is sharp whatever the focus: its blocks and their neighbours are no edges.
            EdgeBlur = EdgeBlurEstimator.Measure(review, rw, rh, (x, y) => Highlight[(((y * k) >> BlockShift) * BlocksX) + ((x * k) >> BlockShift)]);
        }
        finally
        {
            _pool?.Return(review);
        }
    }

    private void LumaRow(int y, int[] row)
    {
        ref var pixels = ref MemoryMarshal.GetArrayDataReference(Frame.Pixels);
        ref var target = ref MemoryMarshal.GetArrayDataReference(row);
        var i = y * Frame.Width * 3;
        for (var x = 0; x < row.Length; x++, i += 3)
        {
            Unsafe.Add(ref target, x) = (299 * Unsafe.Add(ref pixels, i)) + (587 * Unsafe.Add(ref pixels, i + 1)) + (114 * Unsafe.Add(ref pixels, i + 2));
        }
    }

    /// <summary>
    /// Highlights differ between the two lightings by design; flattened to the background level
    /// they cannot steer the motion search.
    /// </summary>
    private void FlattenQuarterLuma()
    {
        const int quarterBlockShift = BlockShift - 2;
        double sum = 0;
        long n = 0;
        for (var y = 0; y < QuarterHeight; y++)
        {
            var blockRow = (y >> quarterBlockShift) * BlocksX;
            for (var x = 0; x < QuarterWidth; x++)
            {
                if (!Highlight[blockRow + (x >> quarterBlockShift)])
                {
                    sum += QuarterLuma[(y * QuarterWidth) + x];
                    n++;
                }
            }
        }

        BackgroundLuma = n == 0 ? (float)Mean : (float)(sum / n);
        for (var y = 0; y < QuarterHeight; y++)
        {
            var blockRow = (y >> quarterBlockShift) * BlocksX;
            for (var x = 0; x < QuarterWidth; x++)
            {
                if (Highlight[blockRow + (x >> quarterBlockShift)])
                {
                    QuarterLuma[(y * QuarterWidth) + x] = BackgroundLuma;
                }
            }
        }
    }

    /// <summary>
    /// Luma of a window on a grid <paramref name="scale"/> times coarser than the frame (each
    /// value the mean of scale × scale pixels), highlights flattened, coordinates clamped to the
    /// frame: the motion search's finer steps look only at the centre of the frame.
    /// </summary>
    internal float[] LumaWindow(int x0, int y0, int width, int height, int scale)
    {
        var result = new float[width * height];
        var p = Frame.Pixels;
        var norm = 0.001f / (scale * scale);
        var maxX = (Frame.Width / scale) - 1;
        var maxY = (Frame.Height / scale) - 1;
        for (var wy = 0; wy < height; wy++)
        {
            var cy = Math.Clamp(y0 + wy, 0, maxY) * scale;
            for (var wx = 0; wx < width; wx++)
            {
                var cx = Math.Clamp(x0 + wx, 0, maxX) * scale;
                if (Highlight[((cy >> BlockShift) * BlocksX) + (cx >> BlockShift)])
                {
                    result[(wy * width) + wx] = BackgroundLuma;
                    continue;
                }

                var sum = 0;
                for (var dy = 0; dy < scale; dy++)
                {
                    var row = (cy + dy) * Frame.Width;
                    for (var dx = 0; dx < scale; dx++)
                    {
                        sum += Luma1000(p, (row + cx + dx) * 3);
                    }
                }

                result[(wy * width) + wx] = sum * norm;
            }
        }

        return result;
    }
}
