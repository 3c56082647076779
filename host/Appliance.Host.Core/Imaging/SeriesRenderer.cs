using Appliance.Calibration;
using Appliance.Protocol;

namespace Appliance.Host.Core.Imaging;

/// <summary>One frame of a filed series, ready to show: original as the camera took it, or calibrated with the series' profile.</summary>
public sealed record RenderedFrame(int Index, LightingMode Lighting, int Width, int Height, bool Calibrated, byte[] Rgb24, double? PixelsPerMillimetre)
{
    public byte[] ToPng() => PngEncoder.Encode(Rgb24, Width, Height);
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
        var ring = (await profiles.FindProfileAsync(series.CalibrationId, cancellationToken))?.For(frame.Lighting);
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
