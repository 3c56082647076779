using Appliance.Host.Core.Pacs;
using Appliance.Host.Infrastructure.Archive;
using LiteDB;

namespace Appliance.Host.Infrastructure.Pacs;

/// <summary>
/// The deliveries to the PACS in the archive's database (<c>pacsDeliveries</c>), so they survive
/// a restart beside the series they are for; taken and changed under the archive's lock, as every
/// instance on the data folder shares them.
/// </summary>
public sealed class LiteDbPacsQueue : IPacsQueue
{
    private readonly ArchiveDatabase _database;
    private readonly ILiteCollection<BsonDocument> _deliveries;

    public LiteDbPacsQueue(ArchiveDatabase database)
    {
        ArgumentNullException.ThrowIfNull(database);
        _database = database;
        _deliveries = database.Collection("pacsDeliveries");
        _deliveries.EnsureIndex("nextAttemptAt");
        _deliveries.EnsureIndex("state");
    }

    public Task<int> EnqueueAsync(IReadOnlyCollection<string> seriesIds, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(seriesIds);
        using (_database.LockForChange())
        {
            // A just-filed series is one lookup; the whole archive at start is one read of the queue and
            // one bulk insert, not a lookup and an insert per series while every instance waits on the lock.
            var known = seriesIds.Count > 1 ? _deliveries.FindAll().Select(d => d["_id"].AsString).ToHashSet(StringComparer.Ordinal) : null;
            var missing = seriesIds.Distinct(StringComparer.Ordinal).Where(id => known is null ? _deliveries.FindById(id) is null : !known.Contains(id)).ToList();
            return Task.FromResult(missing.Count == 0 ? 0 : _deliveries.InsertBulk(missing.Select(id => ToDocument(new PacsDelivery(id, PacsDeliveryState.Queued, 0, at, at)))));
        }
    }

    public Task<IReadOnlyList<PacsDelivery>> TakeDueAsync(DateTimeOffset now, DateTimeOffset leaseUntil, int max, CancellationToken cancellationToken)
    {
        using (_database.LockForChange())
        {
            var due = _deliveries.Query()
                .Where(Query.And(Query.EQ("state", nameof(PacsDeliveryState.Queued)), Query.LTE("nextAttemptAt", now.UtcDateTime)))
                .OrderBy("nextAttemptAt").Limit(max).ToEnumerable().Select(ToDelivery).ToList();
            foreach (var delivery in due)
            {
                _deliveries.Update(ToDocument(delivery with { NextAttemptAt = leaseUntil }));
            }

            return Task.FromResult<IReadOnlyList<PacsDelivery>>(due);
        }
    }

    public Task<DateTimeOffset?> NextDueAsync(CancellationToken cancellationToken)
    {
        var next = _deliveries.Query().Where(Query.EQ("state", nameof(PacsDeliveryState.Queued))).OrderBy("nextAttemptAt").Limit(1).ToEnumerable().Select(ToDelivery).FirstOrDefault();
        return Task.FromResult(next?.NextAttemptAt);
    }

    public Task MarkSentAsync(string seriesId, DateTimeOffset at, int instances, CancellationToken cancellationToken) =>
        Change(seriesId, d => d with { State = PacsDeliveryState.Sent, Attempts = d.Attempts + 1, SentAt = at, Instances = instances, LastError = null });

    public Task RecordSentAsync(string seriesId, DateTimeOffset at, int instances, CancellationToken cancellationToken)
    {
        using (_database.LockForChange())
        {
            var current = _deliveries.FindById(seriesId) is { } doc ? ToDelivery(doc) : new PacsDelivery(seriesId, PacsDeliveryState.Queued, 0, at, at);
            if (current.State != PacsDeliveryState.Sent)
            {
                _deliveries.Upsert(ToDocument(current with { State = PacsDeliveryState.Sent, Attempts = current.Attempts + 1, SentAt = at, Instances = instances, LastError = null }));
            }

            return Task.CompletedTask;
        }
    }

    public Task MarkFailedAsync(string seriesId, int attempts, DateTimeOffset nextAttemptAt, string error, bool refused, CancellationToken cancellationToken) =>
        Change(seriesId, d => d with { State = refused ? PacsDeliveryState.Refused : PacsDeliveryState.Queued, Attempts = attempts, NextAttemptAt = nextAttemptAt, LastError = error });

    public async Task<bool> RetryAsync(string seriesId, DateTimeOffset at, CancellationToken cancellationToken) =>
        await Change(seriesId, d => d.State == PacsDeliveryState.Refused ? d with { State = PacsDeliveryState.Queued, NextAttemptAt = at } : null);

    public Task<PacsDelivery?> FindAsync(string seriesId, CancellationToken cancellationToken) =>
        Task.FromResult(_deliveries.FindById(seriesId) is { } doc ? ToDelivery(doc) : null);

    public Task<PacsQueueSummary> SummarizeAsync(int maxRefused, CancellationToken cancellationToken)
    {
        int Count(PacsDeliveryState state) => _deliveries.Count(Query.EQ("state", state.ToString()));
        var oldest = _deliveries.Query().Where(Query.EQ("state", nameof(PacsDeliveryState.Queued))).OrderBy("queuedAt").Limit(1).ToEnumerable().Select(ToDelivery).FirstOrDefault();
        var refused = _deliveries.Query().Where(Query.EQ("state", nameof(PacsDeliveryState.Refused))).OrderByDescending("queuedAt").Limit(maxRefused).ToEnumerable().Select(ToDelivery).ToList();
        return Task.FromResult(new PacsQueueSummary(Count(PacsDeliveryState.Sent), Count(PacsDeliveryState.Queued), Count(PacsDeliveryState.Refused), oldest?.QueuedAt, refused));
    }

    public Task<IReadOnlyList<PacsDelivery>> ListAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<PacsDelivery>>([.. _deliveries.FindAll().Select(ToDelivery).OrderByDescending(d => d.QueuedAt).ThenBy(d => d.SeriesId, StringComparer.Ordinal)]);

    /// <summary>Read, changed and written under the lock; false if there is no such delivery or <paramref name="change"/> declined.</summary>
    private Task<bool> Change(string seriesId, Func<PacsDelivery, PacsDelivery?> change)
    {
        using (_database.LockForChange())
        {
            if (_deliveries.FindById(seriesId) is not { } doc || change(ToDelivery(doc)) is not { } changed)
            {
                return Task.FromResult(false);
            }

            _deliveries.Update(ToDocument(changed));
            return Task.FromResult(true);
        }
    }

    private static BsonDocument ToDocument(PacsDelivery d) => new()
    {
        ["_id"] = d.SeriesId,
        ["state"] = d.State.ToString(),
        ["attempts"] = d.Attempts,
        ["queuedAt"] = d.QueuedAt.UtcDateTime,
        ["nextAttemptAt"] = d.NextAttemptAt.UtcDateTime,
        ["lastError"] = d.LastError is null ? BsonValue.Null : new BsonValue(d.LastError),
        ["sentAt"] = d.SentAt is { } sent ? new BsonValue(sent.UtcDateTime) : BsonValue.Null,
        ["instances"] = d.Instances,
    };

    private static PacsDelivery ToDelivery(BsonDocument doc) => new(
        doc["_id"].AsString,
        Enum.Parse<PacsDeliveryState>(doc["state"].AsString),
        doc["attempts"].AsInt32,
        Utc(doc["queuedAt"]),
        Utc(doc["nextAttemptAt"]),
        doc["lastError"].IsNull ? null : doc["lastError"].AsString,
        doc["sentAt"].IsNull ? null : Utc(doc["sentAt"]),
        doc["instances"].AsInt32);

    // LiteDB hands dates back in local time.
    private static DateTimeOffset Utc(BsonValue value) => new(value.AsDateTime.ToUniversalTime(), TimeSpan.Zero);
}
