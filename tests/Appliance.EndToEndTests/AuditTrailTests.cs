using Appliance.Host.Core.Audit;
using Appliance.Host.Infrastructure;
using Appliance.Host.Infrastructure.Audit;
using Appliance.Host.PostgreSql;
using Appliance.Host.Web.CommandLine;
using Appliance.TestFixtures;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Appliance.EndToEndTests;

/// <summary>
/// One audit trail contract, run on each provider: an untouched trail verifies, and an edited,
/// deleted, reordered or cut-off entry is found; host instances appending at once never fork the
/// chain. Each provider says how its entries are tampered with (lines in a file, rows in a table).
/// </summary>
public abstract class AuditTrailContract
{
    protected abstract IAuditTrail Trail { get; }

    /// <summary>Another host instance on the same state (another process would do the same: the turn-taking is in the store).</summary>
    protected abstract IAuditTrail AnotherInstance();

    /// <summary>The <c>--Section:Key=value</c> settings that point the host's command line at this trail.</summary>
    protected abstract string[] HostSettings { get; }

    protected abstract Task ReplaceSubjectAsync(long sequence, string subject);

    protected abstract Task DeleteAsync(long sequence);

    protected abstract Task SwapAsync(long first, long second);

    protected abstract Task CutTailAsync(int entries);

    protected void AppendFive()
    {
        for (var i = 1; i <= 5; i++)
        {
            Trail.Append(AuditKinds.JobCreated, "host", $"job-{i}", $"device clinic-a-01, episode EP-ABCDEFGHJ{i}");
        }
    }

    private AuditVerification Verify() => AuditVerifier.Verify(Trail.ReadAll(), Trail.ReadHead());

    private Task<int> VerifyCommand() => HostCommandLine.Build().Parse(["audit", "verify", .. HostSettings]).InvokeAsync();

    [Fact]
    public async Task AnUntouchedTrail_IsIntact_AndTheCommandSaysSo()
    {
        var result = Verify();

        Assert.True(result.Intact, result.Reason);
        Assert.Equal(5, result.Entries);
        Assert.Equal(0, await VerifyCommand());
    }

    [Fact]
    public async Task AnEditedEntry_IsFound()
    {
        await ReplaceSubjectAsync(3, "job-9");

        var result = Verify();

        Assert.False(result.Intact);
        Assert.Equal(3, result.BrokenAt);
        Assert.Contains("changed", result.Reason);
        Assert.Equal(1, await VerifyCommand());
    }

    [Fact]
    public async Task ADeletedEntry_IsFound()
    {
        await DeleteAsync(2);

        Assert.Contains("deleted, inserted or moved", Verify().Reason);
    }

    [Fact]
    public async Task ReorderedEntries_AreFound()
    {
        await SwapAsync(2, 4);

        Assert.False(Verify().Intact);
    }

    [Fact]
    public async Task ATailCutOff_IsFound_ThroughTheHeadKeptApart()
    {
        await CutTailAsync(2);

        var result = Verify();

        Assert.False(result.Intact);
        Assert.Contains("cut from the end", result.Reason);
    }

    [Fact]
    public void WhatAnEntryIsAbout_IsFoundByKindAndSubject()
    {
        Trail.Append(AuditKinds.SeriesFiled, "clinic-a-01", "series-1", "episode EP-ABCDEFGHJ1, 2 frames");

        Assert.True(Trail.Records(AuditKinds.SeriesFiled, "series-1"));
        Assert.True(AnotherInstance().Records(AuditKinds.JobCreated, "job-3"));
        Assert.False(Trail.Records(AuditKinds.SeriesFiled, "job-3"));
        Assert.False(Trail.Records(AuditKinds.SeriesFiled, "series-2"));
    }

    [Fact]
    public async Task InstancesAppendingAtOnce_TakeTurns_AndTheChainNeverForks()
    {
        var instances = Enumerable.Range(0, 4).Select(_ => AnotherInstance()).ToList();
        await Task.WhenAll(instances.Select((trail, n) => Task.Run(() =>
        {
            for (var i = 0; i < 25; i++)
            {
                trail.Append(AuditKinds.JobCreated, $"instance-{n}", $"job-{n}-{i}", "concurrent");
            }
        })));

        var result = Verify();
        Assert.True(result.Intact, result.Reason);
        Assert.Equal(5 + 100, result.Entries);
    }
}

/// <summary>The trail in the data folder: JSON lines and a head file.</summary>
public sealed class FileAuditTrailTests : AuditTrailContract, IDisposable
{
    private readonly TempFolder _folder = new("audit");
    private readonly FileAuditTrail _trail;

    public FileAuditTrailTests()
    {
        _trail = (FileAuditTrail)AnotherInstance();
        AppendFive();
    }

    protected override IAuditTrail Trail => _trail;

    protected override IAuditTrail AnotherInstance() => new FileAuditTrail(Options.Create(new HostDataOptions { DataFolder = _folder.Path }), TimeProvider.System);

    protected override string[] HostSettings => [$"--Host:DataFolder={_folder.Path}"];

    private string LogPath => _folder.Combine("audit", "audit.log");

    protected override async Task ReplaceSubjectAsync(long sequence, string subject)
    {
        var lines = await File.ReadAllLinesAsync(LogPath);
        lines[sequence - 1] = lines[sequence - 1].Replace($"job-{sequence}", subject, StringComparison.Ordinal);
        await File.WriteAllLinesAsync(LogPath, lines);
    }

    protected override async Task DeleteAsync(long sequence)
    {
        var lines = (await File.ReadAllLinesAsync(LogPath)).ToList();
        lines.RemoveAt((int)sequence - 1);
        await File.WriteAllLinesAsync(LogPath, lines);
    }

    protected override async Task SwapAsync(long first, long second)
    {
        var lines = await File.ReadAllLinesAsync(LogPath);
        (lines[first - 1], lines[second - 1]) = (lines[second - 1], lines[first - 1]);
        await File.WriteAllLinesAsync(LogPath, lines);
    }

    protected override async Task CutTailAsync(int entries)
    {
        var lines = await File.ReadAllLinesAsync(LogPath);
        await File.WriteAllLinesAsync(LogPath, lines[..^entries]);
    }

    [Fact]
    public async Task AGarbageLine_MakesTheCommandFail_NotCrash()
    {
        await File.AppendAllTextAsync(LogPath, "{ not an entry\n");

        Assert.Equal(1, await HostCommandLine.Build().Parse(["audit", "verify", .. HostSettings]).InvokeAsync());
    }

    public void Dispose() => _folder.Dispose();
}

/// <summary>The trail in PostgreSQL: rows in <c>audit_entries</c>, the head in <c>audit_head</c>.</summary>
public sealed class PostgreSqlAuditTrailTests : AuditTrailContract, IClassFixture<PostgresFixture>, IAsyncLifetime, IDisposable
{
    private readonly PostgresFixture _postgres;
    private readonly TempFolder _folder = new("audit-pg");
    private readonly List<NpgsqlDataSource> _sources = [];
    private string _connectionString = string.Empty;
    private IAuditTrail? _trail;

    public PostgreSqlAuditTrailTests(PostgresFixture postgres) => _postgres = postgres;

    protected override IAuditTrail Trail => _trail!;

    protected override IAuditTrail AnotherInstance()
    {
        var source = NpgsqlDataSource.Create(_connectionString);
        _sources.Add(source);
        return new PostgreSqlAuditTrail(source, TimeProvider.System);
    }

    protected override string[] HostSettings =>
        [$"--Host:DataFolder={_folder.Path}", "--Archive:Provider=PostgreSql", $"--PostgreSql:ConnectionString={_connectionString}"];

    public async Task InitializeAsync()
    {
        _connectionString = await _postgres.MigratedDatabaseAsync();
        _trail = AnotherInstance();
        AppendFive();
    }

    protected override Task ReplaceSubjectAsync(long sequence, string subject) => SqlAsync($"UPDATE audit_entries SET subject = '{subject}' WHERE sequence = {sequence}");

    protected override Task DeleteAsync(long sequence) => SqlAsync($"DELETE FROM audit_entries WHERE sequence = {sequence}");

    protected override Task SwapAsync(long first, long second) =>
        SqlAsync($"""
            UPDATE audit_entries a SET (at_unix_ms, kind, actor, subject, details, previous_hash, hash, format) =
              (SELECT b.at_unix_ms, b.kind, b.actor, b.subject, b.details, b.previous_hash, b.hash, b.format FROM audit_entries b
               WHERE b.sequence = CASE a.sequence WHEN {first} THEN {second} ELSE {first} END)
            WHERE a.sequence IN ({first}, {second})
            """);

    protected override Task CutTailAsync(int entries) => SqlAsync($"DELETE FROM audit_entries WHERE sequence > (SELECT max(sequence) - {entries} FROM audit_entries)");

    private async Task SqlAsync(string sql)
    {
        await using var source = NpgsqlDataSource.Create(_connectionString);
        await using var command = source.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose()
    {
        _sources.ForEach(s => s.Dispose());
        _folder.Dispose();
    }
}
