using Appliance.Host.Core.Jobs;

namespace Appliance.Host.Core.Pacs;

/// <summary>An archive in front of another: everything passes through unless a decorator says otherwise.</summary>
public abstract class SeriesArchiveDecorator(ISeriesArchive inner) : ISeriesArchive
{
    protected ISeriesArchive Inner { get; } = inner;

    public virtual string Location => Inner.Location;

    public virtual Task<FiledSeries?> FindAsync(string seriesId, CancellationToken cancellationToken) => Inner.FindAsync(seriesId, cancellationToken);

    public virtual Task<ArchiveFiling> FileAsync(FiledSeries series, Func<int, CancellationToken, Task<byte[]>> frames, CancellationToken cancellationToken) =>
        Inner.FileAsync(series, frames, cancellationToken);

    public virtual Task<ArchiveFiling> FileRecordAsync(FiledSeries series, CancellationToken cancellationToken) => Inner.FileRecordAsync(series, cancellationToken);

    public virtual Task<IReadOnlyList<FiledSeries>> ListRecentAsync(int max, CancellationToken cancellationToken) => Inner.ListRecentAsync(max, cancellationToken);

    public virtual Task<FiledSeries?> FindByJobAsync(string jobId, CancellationToken cancellationToken) => Inner.FindByJobAsync(jobId, cancellationToken);

    public virtual Task<IReadOnlyList<FiledSeries>> ListForPatientAsync(string patientId, string? lesionLabel, CancellationToken cancellationToken) =>
        Inner.ListForPatientAsync(patientId, lesionLabel, cancellationToken);

    public virtual Task<bool> MarkConsentWithdrawnAsync(string seriesId, ConsentWithdrawal withdrawal, CancellationToken cancellationToken) =>
        Inner.MarkConsentWithdrawnAsync(seriesId, withdrawal, cancellationToken);

    public virtual Task<bool> RecordOutlineAsync(string seriesId, Imaging.LesionOutline? outline, CancellationToken cancellationToken) =>
        Inner.RecordOutlineAsync(seriesId, outline, cancellationToken);

    public virtual Task<bool> RecordOverviewReviewAsync(string seriesId, Filing.OverviewReview review, CancellationToken cancellationToken) =>
        Inner.RecordOverviewReviewAsync(seriesId, review, cancellationToken);

    public virtual Task<byte[]> ReadFrameAsync(string seriesId, int index, CancellationToken cancellationToken) => Inner.ReadFrameAsync(seriesId, index, cancellationToken);

    public virtual Task<bool> ReleaseFramesAsync(string seriesId, CancellationToken cancellationToken) => Inner.ReleaseFramesAsync(seriesId, cancellationToken);

    public virtual Task<IReadOnlyList<string>> ListSeriesIdsAsync(CancellationToken cancellationToken) => Inner.ListSeriesIdsAsync(cancellationToken);
}
