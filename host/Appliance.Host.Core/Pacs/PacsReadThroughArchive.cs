using System.Security.Cryptography;
using Appliance.Host.Core.Exports;
using Appliance.Host.Core.Jobs;
using Appliance.Protocol;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Host.Core.Pacs;

/// <summary>
/// The archive as pages and exports see it when the PACS may hold a series' only copy: a frame
/// released to the PACS is read back from it (WADO-RS, under the UIDs derived from the series)
/// and checked against the digest in the archive's sealed record, so a PACS that hands back
/// other pixels is caught. Everything else is the archive's own.
/// </summary>
public sealed class PacsReadThroughArchive(ISeriesArchive archive, IPacs pacs) : ISeriesArchive
{
    public string Location => archive.Location;

    public async Task<byte[]> ReadFrameAsync(string seriesId, int index, CancellationToken cancellationToken)
    {
        try
        {
            return await archive.ReadFrameAsync(seriesId, index, cancellationToken);
        }
        catch (FramesReleasedException)
        {
            var series = await archive.FindAsync(seriesId, cancellationToken) ?? throw new KeyNotFoundException($"series {seriesId} is not filed");
            var frame = series.Frames.Single(f => f.Index == index);
            var uids = DermoscopyUids.Of(series);
            var pixels = await pacs.RetrievePixelsAsync(uids.Study, uids.Series, uids.Instance(index), cancellationToken);
            return SeriesSealing.Sha256Hex(pixels) == frame.Sha256
                ? pixels
                : throw new CryptographicException($"the PACS's copy of frame {index} of series {seriesId} does not match the digest filed with it");
        }
    }

    public Task<FiledSeries?> FindAsync(string seriesId, CancellationToken cancellationToken) => archive.FindAsync(seriesId, cancellationToken);

    public Task<ArchiveFiling> FileAsync(FiledSeries series, Func<int, CancellationToken, Task<byte[]>> frames, CancellationToken cancellationToken) =>
        archive.FileAsync(series, frames, cancellationToken);

    public Task<IReadOnlyList<FiledSeries>> ListRecentAsync(int max, CancellationToken cancellationToken) => archive.ListRecentAsync(max, cancellationToken);

    public Task<FiledSeries?> FindByJobAsync(string jobId, CancellationToken cancellationToken) => archive.FindByJobAsync(jobId, cancellationToken);

    public Task<IReadOnlyList<FiledSeries>> ListForPatientAsync(string patientId, string? lesionLabel, CancellationToken cancellationToken) =>
        archive.ListForPatientAsync(patientId, lesionLabel, cancellationToken);

    public Task<bool> MarkConsentWithdrawnAsync(string seriesId, ConsentWithdrawal withdrawal, CancellationToken cancellationToken) =>
        archive.MarkConsentWithdrawnAsync(seriesId, withdrawal, cancellationToken);

    public Task<bool> ReleaseFramesAsync(string seriesId, CancellationToken cancellationToken) => archive.ReleaseFramesAsync(seriesId, cancellationToken);

    public Task<IReadOnlyList<string>> ListSeriesIdsAsync(CancellationToken cancellationToken) => archive.ListSeriesIdsAsync(cancellationToken);

    /// <summary>Puts this in front of whichever archive is registered last (LiteDB, or PostgreSQL that replaced it).</summary>
    public static void Register(IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var inner = services.Last(d => d.ServiceType == typeof(ISeriesArchive));
        var type = inner.ImplementationType ?? throw new InvalidOperationException("the archive must be registered by its type to be read through the PACS");
        services.Remove(inner);
        services.AddSingleton(type);
        services.AddSingleton<ISeriesArchive>(sp => new PacsReadThroughArchive((ISeriesArchive)sp.GetRequiredService(type), sp.GetRequiredService<IPacs>()));
    }
}
