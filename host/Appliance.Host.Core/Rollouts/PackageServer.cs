using Appliance.Protocol;
using Appliance.Protocol.Releases;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Appliance.Host.Core.Rollouts;

/// <summary>
/// Answers an appliance's <see cref="PackageRequest"/> with the chunks it asked for, on its
/// <c>package</c> topic, only for the order it was last sent in a running rollout: a paused,
/// halted or cancelled rollout delivers nothing more, and a forged or stale request nothing at all.
/// </summary>
public sealed partial class PackageServer(
    IRolloutStore store,
    ReleasePackages packages,
    IDeviceMessagePublisher publisher,
    IOptions<UpdateDeliveryOptions> options,
    ILogger<PackageServer> logger)
{
    /// <summary>Null when the chunks went out, else why not.</summary>
    public async Task<string?> OnFetchAsync(string deviceId, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        if (!ProtocolJson.TryDeserialize<PackageRequest>(payload.Span, out var request, out var error))
        {
            return error;
        }

        var rollout = store.List().FirstOrDefault(r => r.IsActive && r.WaveOf(deviceId) is not null);
        var entry = rollout is null ? null : store.FindProgress(rollout.RolloutId, deviceId);
        if (rollout is null || entry?.OrderId != request.OrderId)
        {
            return $"chunks asked for under order {request.OrderId}, which is not {deviceId}'s current update order";
        }

        if (rollout.State != RolloutState.Running)
        {
            LogNotServing(logger, deviceId, rollout.RolloutId, rollout.State);
            return null;
        }

        var package = packages.Describe(rollout.Version, rollout.Architecture, options.Value.ChunkSize);
        if (request.Validate(package.ChunkSha256.Length) is { } invalid)
        {
            return invalid;
        }

        var id = Guid.ParseExact(request.OrderId, "N");
        var buffer = new byte[package.ChunkSize];
        using var file = File.OpenHandle(package.Path);
        for (var index = request.Start; index < request.Start + request.Count; index++)
        {
            var length = ReleasePackages.ReadChunk(file, package, index, buffer);
            if (Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(buffer.AsSpan(0, length))) != package.ChunkSha256[index])
            {
                // The appliance would refuse it anyway; better to say where the fault is.
                return $"the host's copy of {rollout.Version} changed after it was imported (chunk {index}): its stored package is damaged, and no appliance would take it";
            }

            var frame = TransferFrame.Encode(TransferFrameKind.Chunk, id, index, buffer.AsSpan(0, length));
            await publisher.PublishAsync(ApplianceTopics.Package(deviceId), frame, cancellationToken);
        }

        return null;
    }

    [LoggerMessage(EventId = 5711, Level = LogLevel.Information, Message = "Not sending package chunks to {DeviceId}: rollout {RolloutId} is {State}")]
    private static partial void LogNotServing(ILogger logger, string deviceId, string rolloutId, RolloutState state);
}
