using Appliance.Host.Core.Audit;
using Appliance.Host.Infrastructure;
using Appliance.Host.Infrastructure.Audit;
using Appliance.Host.Web.CommandLine;
using Appliance.TestFixtures;
using Microsoft.Extensions.Options;

namespace Appliance.EndToEndTests;

public sealed class AuditTrailTests : IDisposable
{
    private readonly TempFolder _folder = new("audit");
    private readonly FileAuditTrail _trail;

    public AuditTrailTests()
    {
        _trail = new FileAuditTrail(Options.Create(new HostDataOptions { DataFolder = _folder.Path }), TimeProvider.System);
        for (var i = 1; i <= 5; i++)
        {
            _trail.Append(AuditKinds.JobCreated, "host", $"job-{i}", $"device clinic-a-01, episode EP-ABCDEFGHJ{i}");
        }
    }

    private string LogPath => _folder.Combine("audit", "audit.log");

    private AuditVerification Verify() => AuditVerifier.Verify(_trail.ReadAll(), _trail.ReadHead());

    private Task<int> VerifyCommand() => HostCommandLine.Build().Parse(["audit", "verify", $"--Host:DataFolder={_folder.Path}"]).InvokeAsync();

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
        var lines = await File.ReadAllLinesAsync(LogPath);
        lines[2] = lines[2].Replace("job-3", "job-9", StringComparison.Ordinal);
        await File.WriteAllLinesAsync(LogPath, lines);

        var result = Verify();

        Assert.False(result.Intact);
        Assert.Equal(3, result.BrokenAt);
        Assert.Contains("changed", result.Reason);
        Assert.Equal(1, await VerifyCommand());
    }

    [Fact]
    public async Task ADeletedEntry_IsFound()
    {
        var lines = (await File.ReadAllLinesAsync(LogPath)).ToList();
        lines.RemoveAt(1);
        await File.WriteAllLinesAsync(LogPath, lines);

        Assert.Contains("deleted, inserted or moved", Verify().Reason);
    }

    [Fact]
    public async Task ReorderedEntries_AreFound()
    {
        var lines = await File.ReadAllLinesAsync(LogPath);
        (lines[1], lines[3]) = (lines[3], lines[1]);
        await File.WriteAllLinesAsync(LogPath, lines);

        Assert.False(Verify().Intact);
    }

    [Fact]
    public async Task ATailCutOff_IsFound_ThroughTheHeadKeptApart()
    {
        var lines = await File.ReadAllLinesAsync(LogPath);
        await File.WriteAllLinesAsync(LogPath, lines[..^2]);

        var result = Verify();

        Assert.False(result.Intact);
        Assert.Contains("cut from the end", result.Reason);
    }

    [Fact]
    public async Task AGarbageLine_MakesTheCommandFail_NotCrash()
    {
        await File.AppendAllTextAsync(LogPath, "{ not an entry\n");

        Assert.Equal(1, await VerifyCommand());
    }

    public void Dispose() => _folder.Dispose();
}
