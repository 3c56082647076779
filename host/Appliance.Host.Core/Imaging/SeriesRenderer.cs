using Appliance.Calibration;
using Appliance.Protocol;

namespace Appliance.Host.Core.Imaging;

/// <summary>One frame of a filed series, ready to show: original as the camera took it, or calibrated with the series' profile.</summary>
public sealed record RenderedFrame(int Index, LightingMode Lighting, int Width, int Height, bool Calibrated, byte[] Rgb24, double? PixelsPerMillimetre)
{
    public byte[] ToPng() => PngEncoder.Encode(Rgb24, Width, Height);

    /// <summary>
    /// A copy at most <paramref name="maxWidth"/> wide, each pixel the mean of the block it
    /// replaces (a box filter: no aliasing of fine texture into false patterns).
    /// </summary>
    public RenderedFrame Thumbnail(int maxWidth)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxWidth, 1);
        var step = (Width + maxWidth - 1) / maxWidth;
        if (step <= 1)
        {
            return this;
        }

        var (width, height) = (Width / step, Height / step);
        var output = new byte[width * height * 3];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                for (var c = 0; c < 3; c++)
                {
                    var sum = 0;
                    for (var dy = 0; dy < step; dy++)
                    {
                        var row = ((((y * step) + dy) * Width) + (x * step)) * 3;
                        for (var dx = 0; dx < step; dx++)
                        {
                            sum += Rgb24[row + (dx * 3) + c];
                        }
                    }

                    output[(((y * width) + x) * 3) + c] = (byte)((sum + (step * step / 2)) / (step * step));
                }
            }
        }

        return this with { Width = width, Height = height, Rgb24 = output, PixelsPerMillimetre = PixelsPerMillimetre / step };
    }
}

/// <summary>
/// Renders filed frames. The archive keeps the originals untouched; a calibrated frame is made
/// on demand with the profile the series names, for the ring that lit the frame: flat-field,
/// tone curve, colour correction, in linear light, back to sRGB.
/// </summary>
public sealed class SeriesRenderer(ISeriesArchive archive, ICalibrationProfiles profiles)
{
    /// <exception cref="KeyNotFoundException">when the series or frame is not filed.</exception>
    /// <exception cref="InvalidOperationException">when a calibrated frame is asked for and the series' profile is not held.</exception>
    public async Task<RenderedFrame> RenderAsync(string seriesId, int index, bool calibrated, CancellationToken cancellationToken)
    {
        var series = await archive.FindAsync(seriesId, cancellationToken) ?? throw new KeyNotFoundException($"series {seriesId} is not filed");
        var frame = series.Frames.SingleOrDefault(f => f.Index == index) ?? throw new KeyNotFoundException($"series {seriesId} has no frame {index}");
        var pixels = await archive.ReadFrameAsync(seriesId, index, cancellationToken);
        var ring = (await profiles.FindProfileAsync(series.DeviceId, series.CalibrationId, cancellationToken))?.For(frame.Lighting);
        if (!calibrated)
        {
            return new RenderedFrame(index, frame.Lighting, frame.Width, frame.Height, false, pixels, ring?.PixelsPerMillimetre);
        }

        if (ring is null)
        {
            throw new InvalidOperationException($"series {seriesId} was taken under calibration {series.CalibrationId}, which this host does not hold");
        }

        var image = CalibrationProfiles.ToCorrection(ring, frame.Width, frame.Height).Apply(LinearImage.FromRgb24(pixels, frame.Width, frame.Height));
        return new RenderedFrame(index, frame.Lighting, frame.Width, frame.Height, true, image.ToRgb24(), ring.PixelsPerMillimetre);
    }
}
