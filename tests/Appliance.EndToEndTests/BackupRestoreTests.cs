using Appliance.Demo;
using Appliance.Host.Core;
using Appliance.Host.Infrastructure.Backup;
using Appliance.Host.Web;
using Appliance.Host.Web.CommandLine;
using Appliance.Protocol;
using Appliance.TestFixtures;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.EndToEndTests;

public sealed class BackupRestoreTests : IDisposable
{
    private readonly TempFolder _folder = new("backup");

    private string HostData => _folder.Combine("suite", "host");

    private string Passphrase => _folder.Combine("passphrase");

    private static Task<int> Run(params string[] args) => HostCommandLine.Build().Parse(args).InvokeAsync();

    private async Task<string> FiledHostAsync()
    {
        await using (var suite = await EmbeddedSuite.StartAsync(_folder.Combine("suite")))
        {
            await suite.CreateJobAndWaitArmedAsync("TEST-PATIENT-BACKUP", "back", ConsentScope.DirectCare, CancellationToken.None);
            await suite.PressAndWaitFiledAsync(CancellationToken.None);
        }

        await File.WriteAllTextAsync(Passphrase, "correct horse battery staple\n");
        var backup = _folder.Combine("host.backup");
        Assert.Equal(0, await Run("backup", "--out", backup, "--passphrase-file", Passphrase, $"--Host:DataFolder={HostData}"));
        return backup;
    }

    [Fact]
    public async Task ABackup_RestoresIntoANewFolder_AndEveryFrameReadsBackAgainstItsDigest()
    {
        var backup = await FiledHostAsync();
        // Keys and archive are inside: the file must show none of them in the clear.
        Assert.False(PlaintextScan.Found(await File.ReadAllBytesAsync(backup), [System.Text.Encoding.UTF8.GetBytes("PRIVATE KEY"), System.Text.Encoding.UTF8.GetBytes("audit")]));

        var restored = _folder.Combine("restored");
        Assert.Equal(0, await Run("restore", "--from", backup, "--to", restored, "--passphrase-file", Passphrase));

        await using var app = HostWebApplication.Create([$"--Host:DataFolder={restored}"]);
        var check = await ArchiveVerifier.VerifyAsync(app.Services.GetRequiredService<ISeriesArchive>(), CancellationToken.None);
        Assert.True(check.Intact, string.Join("; ", check.Problems));
        Assert.Equal(1, check.Series);
        Assert.Equal(2, check.Frames);
    }

    [Theory]
    [InlineData("flip")]
    [InlineData("cut")]
    [InlineData("passphrase")]
    public async Task AChangedOrCutBackup_OrAWrongPassphrase_FailsToRestore(string fault)
    {
        var backup = await FiledHostAsync();
        var bytes = await File.ReadAllBytesAsync(backup);
        switch (fault)
        {
            case "flip":
                bytes[bytes.Length / 2] ^= 0x01;
                await File.WriteAllBytesAsync(backup, bytes);
                break;
            case "cut":
                await File.WriteAllBytesAsync(backup, bytes[..(bytes.Length - 100)]);
                break;
            default:
                await File.WriteAllTextAsync(Passphrase, "not the passphrase at all");
                break;
        }

        Assert.Equal(1, await Run("restore", "--from", backup, "--to", _folder.Combine("restored"), "--passphrase-file", Passphrase));
        Assert.Throws<InvalidDataException>(() => HostBackup.Restore(backup, File.ReadAllText(Passphrase).Trim(), _folder.Combine("again")));
    }

    public void Dispose() => _folder.Dispose();
}
