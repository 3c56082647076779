using System.Security.Cryptography;
using Appliance.Host.Core.Exports;
using Appliance.Protocol;

namespace Appliance.Host.Core.Pacs;

/// <summary>
/// The archive as pages and exports see it when the PACS may hold a series' only copy: a frame
/// released to the PACS is read back from it (WADO-RS, under the UIDs derived from the series)
/// and checked against the digest in the archive's sealed record, so a PACS that hands back
/// other pixels is caught. Everything else is the archive's own.
/// </summary>
public sealed class PacsReadThroughArchive(ISeriesArchive archive, IPacs pacs) : SeriesArchiveDecorator(archive)
{
    public override async Task<byte[]> ReadFrameAsync(string seriesId, int index, CancellationToken cancellationToken)
    {
        try
        {
            return await Inner.ReadFrameAsync(seriesId, index, cancellationToken);
        }
        catch (FramesReleasedException)
        {
            var series = await Inner.FindAsync(seriesId, cancellationToken) ?? throw new KeyNotFoundException($"series {seriesId} is not filed");
            var frame = series.Frames.Single(f => f.Index == index);
            var uids = DermoscopyUids.Of(series);
            var pixels = await pacs.RetrievePixelsAsync(uids.Study, uids.Series, uids.Instance(index), cancellationToken);
            return SeriesSealing.Sha256Hex(pixels) == frame.Sha256
                ? pixels
                : throw new CryptographicException($"the PACS's copy of frame {index} of series {seriesId} does not match the digest filed with it");
        }
    }
}
