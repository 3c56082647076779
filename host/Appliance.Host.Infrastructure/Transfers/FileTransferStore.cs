using Appliance.Host.Core.Transfers;
using Appliance.Protocol;
using Microsoft.Extensions.Options;

namespace Appliance.Host.Infrastructure.Transfers;

/// <summary>
/// Unfinished transfers under <c>{data}/transfers/{instance}/{deviceId}/</c> (each host instance
/// its own, since its chunks come only to it): the offer as JSON and a
/// <c>.part</c> file, sparse at first, that each chunk is written into at its offset. Chunk
/// writes are not flushed one by one: after a crash the receiver hashes each chunk against the
/// offer's digests, so a chunk the disk did not keep is simply asked for again.
/// </summary>
public sealed class FileTransferStore(IOptions<HostDataOptions> options, IOptions<TransferOptions> transfers) : ITransferStore
{
    private const string OfferExtension = ".offer";
    private const string PartExtension = ".part";
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerOnlyFolder = OwnerOnly | UnixFileMode.UserExecute;

    private string Root => options.Value.Resolve("transfers", transfers.Value.InstanceId);

    public Task BeginAsync(TransferOffer offer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(offer);
        cancellationToken.ThrowIfCancellationRequested();
        var (offerPath, partPath) = PathsOf(offer.DeviceId, offer.SeriesId);
        Directory.CreateDirectory(Path.GetDirectoryName(offerPath)!, OwnerOnlyFolder);
        using (var part = new FileStream(partPath, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = OwnerOnly }))
        {
            part.SetLength(offer.Length);
        }

        // The offer goes last, so a listed transfer always has its part file. Not flushed to disk:
        // an offer a crash loses only means the device's next offer starts the transfer afresh.
        var temp = offerPath + ".tmp";
        using (var file = new FileStream(temp, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = OwnerOnly }))
        {
            file.Write(ProtocolJson.Serialize(offer));
        }

        File.Move(temp, offerPath, overwrite: true);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<StoredTransfer>> ListAsync(CancellationToken cancellationToken)
    {
        var found = new List<StoredTransfer>();
        if (!Directory.Exists(Root))
        {
            return Task.FromResult<IReadOnlyList<StoredTransfer>>(found);
        }

        foreach (var offerPath in Directory.EnumerateFiles(Root, "*" + OfferExtension, SearchOption.AllDirectories))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var partPath = Path.ChangeExtension(offerPath, PartExtension);
            if (ProtocolJson.TryDeserialize<TransferOffer>(File.ReadAllBytes(offerPath), out var offer, out _)
                && File.Exists(partPath)
                && new FileInfo(partPath).Length == offer.Length
                && PathsOf(offer.DeviceId, offer.SeriesId).Offer == offerPath)
            {
                found.Add(new StoredTransfer(offer, File.GetLastWriteTimeUtc(partPath)));
            }
            else
            {
                // Half-begun or damaged: nothing in it can be trusted, and the device offers again.
                File.Delete(offerPath);
                File.Delete(partPath);
            }
        }

        return Task.FromResult<IReadOnlyList<StoredTransfer>>(found);
    }

    public async Task WriteAsync(string deviceId, string seriesId, long offset, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        using var handle = File.OpenHandle(PathsOf(deviceId, seriesId).Part, FileMode.Open, FileAccess.Write);
        await RandomAccess.WriteAsync(handle, bytes, offset, cancellationToken);
    }

    public async Task ReadAsync(string deviceId, string seriesId, long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        using var handle = File.OpenHandle(PathsOf(deviceId, seriesId).Part, FileMode.Open, FileAccess.Read);
        var filled = 0;
        while (filled < destination.Length)
        {
            var read = await RandomAccess.ReadAsync(handle, destination[filled..], offset + filled, cancellationToken);
            if (read == 0)
            {
                destination.Span[filled..].Clear();
                break;
            }

            filled += read;
        }
    }

    public Task DeleteAsync(string deviceId, string seriesId, CancellationToken cancellationToken)
    {
        var (offerPath, partPath) = PathsOf(deviceId, seriesId);
        File.Delete(offerPath);
        File.Delete(partPath);
        return Task.CompletedTask;
    }

    private (string Offer, string Part) PathsOf(string deviceId, string seriesId)
    {
        // Both come off the wire: only validated shapes ever become a path.
        DeviceId.EnsureValid(deviceId);
        var id = Guid.Parse(seriesId).ToString();
        var stem = Path.Combine(Root, deviceId, id);
        return (stem + OfferExtension, stem + PartExtension);
    }
}
