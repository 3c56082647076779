using System.Collections.Concurrent;
using Appliance.Protocol;

namespace Appliance.Firmware.Core;

/// <summary>
/// Where the host's progress answers meet the upload waiting for them: the uploader says which
/// series it expects an answer about, the message handler posts what arrives.
/// </summary>
public sealed class TransferProgressBoard
{
    private readonly ConcurrentDictionary<Guid, TaskCompletionSource<TransferProgress>> _waiting = new();

    /// <summary>Registers interest before the request goes out, so a quick answer is not missed.</summary>
    public Task<TransferProgress> Expect(Guid seriesId)
    {
        var answer = new TaskCompletionSource<TransferProgress>(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiting[seriesId] = answer;
        return answer.Task;
    }

    /// <summary>Hands an answer to whoever waits for it; false if nobody does (a late or stale answer).</summary>
    public bool Post(TransferProgress progress)
    {
        ArgumentNullException.ThrowIfNull(progress);
        return Guid.TryParse(progress.SeriesId, out var id) && _waiting.TryRemove(id, out var answer) && answer.TrySetResult(progress);
    }

    public void Forget(Guid seriesId) => _waiting.TryRemove(seriesId, out _);
}
