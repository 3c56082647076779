using Appliance.Host.Core.Pacs;
using Appliance.Host.Infrastructure;
using Appliance.Host.Infrastructure.Archive;
using Appliance.Host.Infrastructure.Pacs;
using Appliance.Host.PostgreSql;
using Appliance.TestFixtures;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Appliance.EndToEndTests;

/// <summary>
/// One contract for the PACS queue, run on LiteDB and PostgreSQL: a series is queued once however
/// often it is offered; two instances taking due deliveries at once never take the same one; a
/// taken delivery falls due again when its lease ends (its instance died); a sent one never again,
/// a failed one at its next attempt, a refused one only when an admin retries it.
/// </summary>
public abstract class PacsQueueContract : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 9, 0, 0, TimeSpan.Zero);
    private readonly List<IDisposable> _open = [];

    protected TempFolder Folder { get; } = new("pacs-queue");

    /// <summary>Another instance's view of the same queue.</summary>
    protected abstract (IPacsQueue Queue, IDisposable Lifetime) OpenQueue();

    private IPacsQueue Open()
    {
        var (queue, lifetime) = OpenQueue();
        _open.Add(lifetime);
        return queue;
    }

    public void Dispose()
    {
        _open.ForEach(o => o.Dispose());
        Folder.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task EachSeriesIsQueuedOnce_AndTakenByOneInstanceAtATime()
    {
        var (one, two) = (Open(), Open());
        Assert.Equal(3, await one.EnqueueAsync(["s-1", "s-2", "s-3"], Now, CancellationToken.None));
        Assert.Equal(1, await two.EnqueueAsync(["s-2", "s-3", "s-4"], Now.AddSeconds(1), CancellationToken.None));
        Assert.Equal(Now, await two.NextDueAsync(CancellationToken.None));

        var taken = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() =>
            (i % 2 == 0 ? one : two).TakeDueAsync(Now.AddSeconds(5), Now.AddMinutes(5), 1, CancellationToken.None))));
        Assert.Equal(["s-1", "s-2", "s-3", "s-4"], taken.SelectMany(t => t).Select(d => d.SeriesId).Order(StringComparer.Ordinal));
        Assert.Empty(await one.TakeDueAsync(Now.AddMinutes(4), Now.AddMinutes(9), 10, CancellationToken.None));

        // The instance that took them died: at the lease's end the others take them.
        Assert.Equal(4, (await two.TakeDueAsync(Now.AddMinutes(5), Now.AddMinutes(10), 10, CancellationToken.None)).Count);
    }

    [Fact]
    public async Task SentIsNeverTakenAgain_FailedFallsDueAtItsNextAttempt_RefusedWaitsForAnAdmin()
    {
        var queue = Open();
        await queue.EnqueueAsync(["sent", "failed", "refused"], Now, CancellationToken.None);
        Assert.Equal(3, (await queue.TakeDueAsync(Now, Now.AddMinutes(5), 10, CancellationToken.None)).Count);
        await queue.MarkSentAsync("sent", Now.AddSeconds(1), 2, CancellationToken.None);
        await queue.MarkFailedAsync("failed", 1, Now.AddSeconds(30), "the PACS answered 503", refused: false, CancellationToken.None);
        await queue.MarkFailedAsync("refused", 1, Now.AddSeconds(30), "the PACS answered 400", refused: true, CancellationToken.None);
        Assert.Equal(0, await queue.EnqueueAsync(["sent", "failed", "refused"], Now, CancellationToken.None));

        var other = Open();
        Assert.Equal(Now.AddSeconds(30), await other.NextDueAsync(CancellationToken.None));
        Assert.Empty(await other.TakeDueAsync(Now.AddSeconds(29), Now.AddMinutes(5), 10, CancellationToken.None));
        var again = Assert.Single(await other.TakeDueAsync(Now.AddSeconds(30), Now.AddMinutes(5), 10, CancellationToken.None));
        Assert.Equal(("failed", 1, "the PACS answered 503", Now.AddSeconds(30)), (again.SeriesId, again.Attempts, again.LastError, again.NextAttemptAt));

        var sent = (await other.FindAsync("sent", CancellationToken.None))!;
        Assert.Equal((PacsDeliveryState.Sent, 1, 2, Now.AddSeconds(1)), (sent.State, sent.Attempts, sent.Instances, sent.SentAt));
        Assert.Equal(PacsDeliveryState.Refused, (await other.FindAsync("refused", CancellationToken.None))!.State);
        Assert.False(await other.RetryAsync("sent", Now, CancellationToken.None));
        Assert.True(await other.RetryAsync("refused", Now.AddMinutes(1), CancellationToken.None));
        Assert.Equal("refused", Assert.Single(await queue.TakeDueAsync(Now.AddMinutes(1), Now.AddMinutes(6), 10, CancellationToken.None)).SeriesId);
        Assert.Equal(3, (await queue.ListAsync(CancellationToken.None)).Count);
        Assert.Null(await queue.FindAsync("never-queued", CancellationToken.None));
    }

    [Fact]
    public async Task ASeriesRecordedAsSent_IsNeverDue_WhetherItWasQueuedBeforeOrNot()
    {
        var queue = Open();
        await queue.EnqueueAsync(["queued-first"], Now, CancellationToken.None);

        await queue.RecordSentAsync("queued-first", Now.AddSeconds(1), 2, CancellationToken.None);
        await Open().RecordSentAsync("never-queued", Now.AddSeconds(1), 3, CancellationToken.None);
        await queue.RecordSentAsync("never-queued", Now.AddSeconds(9), 9, CancellationToken.None); // again: the first stands

        Assert.Empty(await queue.TakeDueAsync(Now.AddHours(1), Now.AddHours(2), 10, CancellationToken.None));
        Assert.Null(await queue.NextDueAsync(CancellationToken.None));
        Assert.Equal(0, await queue.EnqueueAsync(["queued-first", "never-queued"], Now, CancellationToken.None));
        var sent = (await Open().FindAsync("never-queued", CancellationToken.None))!;
        Assert.Equal((PacsDeliveryState.Sent, 3, Now.AddSeconds(1)), (sent.State, sent.Instances, sent.SentAt));
        Assert.Equal(PacsDeliveryState.Sent, (await queue.FindAsync("queued-first", CancellationToken.None))!.State);
    }

    [Fact]
    public async Task TheSummary_CountsEachState_AndNamesTheRefusedNewestFirst()
    {
        var queue = Open();
        var empty = await queue.SummarizeAsync(10, CancellationToken.None);
        Assert.Equal((0, 0, 0, (DateTimeOffset?)null, 0), (empty.Sent, empty.Waiting, empty.Refused, empty.OldestWaitingSince, empty.RefusedDeliveries.Count));
        for (var i = 0; i < 6; i++)
        {
            await queue.EnqueueAsync([$"s-{i}"], Now.AddMinutes(i), CancellationToken.None);
        }

        await queue.MarkSentAsync("s-0", Now.AddMinutes(10), 2, CancellationToken.None);
        await queue.MarkFailedAsync("s-1", 1, Now.AddMinutes(11), "the PACS answered 503", refused: false, CancellationToken.None);
        await queue.MarkFailedAsync("s-2", 1, Now.AddMinutes(11), "the PACS answered 401", refused: true, CancellationToken.None);
        await queue.MarkFailedAsync("s-4", 1, Now.AddMinutes(11), "the PACS answered 400", refused: true, CancellationToken.None);
        await queue.MarkFailedAsync("s-5", 1, Now.AddMinutes(11), "the PACS answered 403", refused: true, CancellationToken.None);

        var summary = await Open().SummarizeAsync(2, CancellationToken.None);

        Assert.Equal((1, 2, 3, Now.AddMinutes(1)), (summary.Sent, summary.Waiting, summary.Refused, summary.OldestWaitingSince));
        Assert.Equal([("s-5", "the PACS answered 403"), ("s-4", "the PACS answered 400")], summary.RefusedDeliveries.Select(d => (d.SeriesId, d.LastError)));
    }
}

public sealed class LiteDbPacsQueueTests : PacsQueueContract
{
    protected override (IPacsQueue, IDisposable) OpenQueue()
    {
        var options = Options.Create(new HostDataOptions { DataFolder = Folder.Combine("host") });
        var keys = new ArchiveKeys(options);
        var database = new ArchiveDatabase(keys, options);
        return (new LiteDbPacsQueue(database), new Disposables(database, keys));
    }
}

public sealed class PostgreSqlPacsQueueTests(PostgresFixture postgres) : PacsQueueContract, IClassFixture<PostgresFixture>, IAsyncLifetime
{
    private string _connectionString = string.Empty;

    public async Task InitializeAsync() => _connectionString = await postgres.MigratedDatabaseAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    protected override (IPacsQueue, IDisposable) OpenQueue()
    {
        var source = NpgsqlDataSource.Create(_connectionString);
        return (new PostgreSqlPacsQueue(source), source);
    }
}
