using System.Diagnostics;
using System.Text.Json;
using Appliance.Demo;
using Appliance.Host.Core;
using Appliance.Host.Core.Audit;
using Appliance.Host.Core.Exports;
using Appliance.Host.Core.Pacs;
using Appliance.TestFixtures;

namespace Appliance.EndToEndTests;

/// <summary>
/// Forwarding to the trust's PACS with a real one (Orthanc with its DICOMweb plugin): each filed
/// series arrives once as valid Dermoscopic Photography instances under the UIDs derived from it,
/// a second sending changes nothing, and a series filed while the PACS is down waits through a
/// host restart and arrives once when it is back.
/// </summary>
public sealed class PacsForwardingTests : IAsyncLifetime
{
    private readonly PacsHostRig _rig = new("pacs-forwarding");

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _rig.DisposeAsync().AsTask();

    private T Host<T>() where T : notnull => _rig.Service<T>();

    private Task StartHostAsync(Uri? pacs = null, bool keepLocalCopy = true) =>
        _rig.StartAsync(pacs ?? _rig.Pacs.DicomWebUrl, new Dictionary<string, string?> { ["Pacs:KeepLocalCopy"] = keepLocalCopy ? "true" : "false" });

    private Task StopHostAsync() => _rig.StopAsync();

    private Task<FiledSeries> FileASeriesAsync(string patientId) => _rig.FileASeriesAsync(patientId);

    /// <summary>Waits until the series is sent: subscribed first, then the queue asked, so a delivery made meanwhile is not missed.</summary>
    private async Task<PacsDelivery> SentAsync(string seriesId)
    {
        var forwarder = Host<PacsForwarder>();
        var delivered = EmbeddedSuite.WaitFor<PacsDelivery>(h => forwarder.Delivered += h, h => forwarder.Delivered -= h, d => d.SeriesId == seriesId);
        // Already done, which is its audit entry: the queue says "sent" a moment before the local
        // copy is released (when configured) and the delivery audited.
        if (await Host<IPacsQueue>().FindAsync(seriesId, CancellationToken.None) is { State: PacsDeliveryState.Sent } sent && SentEntries(seriesId) > 0)
        {
            return sent;
        }

        await delivered.WaitAsync(TimeSpan.FromSeconds(30));
        return (await Host<IPacsQueue>().FindAsync(seriesId, CancellationToken.None))!;
    }

    private Task<JsonElement> OrthancAsync(string path) => _rig.OrthancAsync(path);

    private int SentEntries(string seriesId) => Host<IAuditTrail>().ReadAll().Count(e => e.Kind == AuditKinds.SeriesSentToPacs && e.Subject == seriesId);

    [Fact]
    public async Task AFiledSeries_ReachesThePacsOnce_AsValidDermoscopyInstancesUnderItsOwnUids()
    {
        await _rig.Pacs.StartAgainAsync();
        await StartHostAsync();
        var filed = await FileASeriesAsync("PACS-PATIENT-1");

        var delivery = await SentAsync(filed.SeriesId);
        Assert.Equal((PacsDeliveryState.Sent, filed.Frames.Count), (delivery.State, delivery.Instances));

        // QIDO-RS finds them where the series' own UIDs say.
        var uids = DermoscopyUids.Of(filed);
        var found = JsonDocument.Parse(await _rig.Orthanc.GetStringAsync(new Uri(_rig.Pacs.DicomWebUrl, $"studies/{uids.Study}/series/{uids.Series}/instances"))).RootElement;
        Assert.Equal(
            filed.Frames.Select(f => uids.Instance(f.Index)).Order(StringComparer.Ordinal),
            found.EnumerateArray().Select(i => i.GetProperty("00080018").GetProperty("Value")[0].GetString()!).Order(StringComparer.Ordinal));

        // What the PACS hands back is valid to dicom3tools' validator, a parser independent of ours and of Orthanc's.
        foreach (var id in (await OrthancAsync("instances")).EnumerateArray().Select(i => i.GetString()!))
        {
            var tags = await OrthancAsync($"instances/{id}/simplified-tags");
            Assert.Equal(("PACS-PATIENT-1", "DMS"), (tags.GetProperty("PatientID").GetString(), tags.GetProperty("Modality").GetString()));
            var path = Path.Combine(_rig.Folder, $"{id}.dcm");
            await File.WriteAllBytesAsync(path, await _rig.Orthanc.GetByteArrayAsync(new Uri(_rig.Pacs.RestUrl, $"instances/{id}/file")));
            var verdict = await RunAsync("dciodvfy", path);
            Assert.DoesNotContain("Error", verdict, StringComparison.Ordinal);
            Assert.Contains("DermoscopicPhotographyImage", verdict, StringComparison.Ordinal);
        }

        // The dermatologist sees it on the series page.
        Host<Appliance.Host.Core.Users.UserService>().Add("derm.p", Appliance.Host.Core.Users.UserRoles.Dermatologist, "a long passphrase for tests", "admin");
        using (var pages = await Appliance.EndToEndKit.HostPages.SignInAsync(_rig.Running, "derm.p", "a long passphrase for tests"))
        {
            var page = await pages.GetStringAsync(new Uri($"/Series/View/{filed.SeriesId}", UriKind.Relative));
            Assert.Matches($"id=\"pacs\"[^>]*>sent [0-9-]+ [0-9:]+ UTC, {filed.Frames.Count} instances<", page);
        }

        // Sending the same series again (a lease that ran out mid-send, say) leaves one copy.
        var instances = new List<byte[]>();
        foreach (var frame in filed.Frames)
        {
            instances.Add(DermoscopyDicom.Create(filed, frame, await Host<ISeriesArchive>().ReadFrameAsync(filed.SeriesId, frame.Index, CancellationToken.None), null, uids));
        }

        await Host<IPacs>().StoreAsync(instances, CancellationToken.None);
        Assert.Equal(filed.Frames.Count, (await OrthancAsync("instances")).GetArrayLength());
        Assert.Equal(1, SentEntries(filed.SeriesId));

        // Something that is not DICOM is refused for good; a PACS that is not there is a failure to retry.
        await Assert.ThrowsAsync<PacsRefusedException>(() => Host<IPacs>().StoreAsync([[1, 2, 3, 4]], CancellationToken.None));
        await _rig.Pacs.KillAsync();
        var down = await Record.ExceptionAsync(() => Host<IPacs>().StoreAsync(instances, CancellationToken.None));
        Assert.IsType<HttpRequestException>(down);
    }

    [Fact]
    public async Task ASeriesFiledWhileThePacsIsDown_WaitsThroughAHostRestart_AndArrivesOnce()
    {
        await StartHostAsync();
        var forwarder = Host<PacsForwarder>();
        var failedTwice = EmbeddedSuite.WaitFor<PacsDelivery>(h => forwarder.AttemptFailed += h, h => forwarder.AttemptFailed -= h, d => d.Attempts >= 2);
        var filed = await FileASeriesAsync("PACS-PATIENT-2");
        var failure = await failedTwice.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal((filed.SeriesId, PacsDeliveryState.Queued), (failure.SeriesId, failure.State));
        Assert.True(failure.NextAttemptAt > DateTimeOffset.UtcNow - TimeSpan.FromSeconds(1)); // backed off, not spinning
        Assert.Equal(0, SentEntries(filed.SeriesId));

        await StopHostAsync();
        await _rig.Pacs.StartAgainAsync();
        await StartHostAsync();

        var delivery = await SentAsync(filed.SeriesId);
        Assert.True(delivery.Attempts >= 3, $"{delivery.Attempts} attempts");
        Assert.Equal(filed.Frames.Count, (await OrthancAsync("instances")).GetArrayLength());
        Assert.Equal(1, SentEntries(filed.SeriesId));
    }

    [Fact]
    public async Task APacsThatRefuses_IsAuditedAndLeftAlone_UntilAnAdminRetries_ThenTheSeriesArrives()
    {
        // The PACS wants credentials the host was not given: a refusal, not worth repeating.
        await _rig.Pacs.StartAgainAsync(requireCredentials: true);
        await StartHostAsync();
        var forwarder = Host<PacsForwarder>();
        var refusal = EmbeddedSuite.WaitFor<PacsDelivery>(h => forwarder.AttemptFailed += h, h => forwarder.AttemptFailed -= h, d => d.State == PacsDeliveryState.Refused);
        var filed = await FileASeriesAsync("PACS-PATIENT-3");
        var refused = await refusal.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal((filed.SeriesId, 1), (refused.SeriesId, refused.Attempts));
        Assert.Contains("401", refused.LastError, StringComparison.Ordinal);
        Assert.Single(Host<IAuditTrail>().ReadAll(), e => e.Kind == AuditKinds.PacsRefused && e.Subject == filed.SeriesId);

        // The admin gives the host the credentials (in the URL, as from a secret) and restarts it: a refused series still waits for them.
        await StopHostAsync();
        var withCredentials = new UriBuilder(_rig.Pacs.DicomWebUrl) { UserName = OrthancServer.User, Password = OrthancServer.Password }.Uri;
        await StartHostAsync(withCredentials);
        var data = _rig.DataFolderSetting;
        var status = await HostCli.RunJsonAsync("pacs", "status", "--json", data);
        Assert.Equal("Refused", Assert.Single(status.EnumerateArray()).GetProperty("state").GetString());

        var retried = await HostCli.RunJsonAsync("pacs", "retry", filed.SeriesId, "--requested-by", "it.admin", "--json", data);
        Assert.True(retried.GetProperty("queued").GetBoolean());
        var sent = await SentAsync(filed.SeriesId);
        Assert.Equal(2, sent.Attempts); // nothing was tried between the refusal and the admin's retry
        Assert.Single(Host<IAuditTrail>().ReadAll(), e => e.Kind == AuditKinds.PacsRetried && e.Actor == "it.admin");
        using var authorised = new HttpClient();
        authorised.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{OrthancServer.User}:{OrthancServer.Password}")));
        Assert.Equal(filed.Frames.Count, JsonDocument.Parse(await authorised.GetStringAsync(new Uri(_rig.Pacs.RestUrl, "instances"))).RootElement.GetArrayLength());
        Assert.Equal(2, (await HostCli.RunAsync("pacs", "retry", filed.SeriesId, data)).Exit); // sent: nothing to retry
    }

    [Fact]
    public async Task AnAdmin_SeesARefusalOnTheFleetPage_AndQueuesTheSeriesAgainThere()
    {
        await _rig.Pacs.StartAgainAsync(requireCredentials: true);
        await StartHostAsync();
        var forwarder = Host<PacsForwarder>();
        var refusal = EmbeddedSuite.WaitFor<PacsDelivery>(h => forwarder.AttemptFailed += h, h => forwarder.AttemptFailed -= h, d => d.State == PacsDeliveryState.Refused);
        var filed = await FileASeriesAsync("PACS-PATIENT-5");
        await refusal.WaitAsync(TimeSpan.FromSeconds(30));
        Host<Appliance.Host.Core.Users.UserService>().Add("it.admin", Appliance.Host.Core.Users.UserRoles.Admin, "admin password 123", "test");

        using var playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        await using var browser = await BrowserSupport.LaunchChromiumAsync(playwright, Host<Appliance.Host.Web.WebCertificate>().Certificate);
        var page = await browser.NewPageAsync();
        var problems = PageProblems.Watch(page);
        await page.GotoAsync($"{_rig.Running.Urls.First()}/Admin/Fleet");
        await page.FillAsync("input[name=UserName]", "it.admin");
        await page.FillAsync("input[name=Password]", "admin password 123");
        await page.ClickAsync("#sign-in");

        await Microsoft.Playwright.Assertions.Expect(page.Locator("#pacs-refused")).ToHaveTextAsync("1 refused");
        await Microsoft.Playwright.Assertions.Expect(page.Locator("#pacs-sent")).ToHaveTextAsync("0 sent");
        var row = page.Locator($"#pacs-refusals tr[data-series=\"{filed.SeriesId}\"]");
        await Microsoft.Playwright.Assertions.Expect(row).ToContainTextAsync("401");

        // The PACS's admin lets the host in; the IT admin queues the series again from the page.
        await _rig.Pacs.KillAsync();
        await _rig.Pacs.StartAgainAsync();
        var sent = EmbeddedSuite.WaitFor<PacsDelivery>(h => forwarder.Delivered += h, h => forwarder.Delivered -= h, d => d.SeriesId == filed.SeriesId);
        await row.Locator("button[name=pacsRetry]").ClickAsync();
        await Microsoft.Playwright.Assertions.Expect(page.Locator("#message")).ToContainTextAsync("queued again for the PACS");
        Assert.Equal(2, (await sent.WaitAsync(TimeSpan.FromSeconds(30))).Attempts);

        await page.ReloadAsync();
        await Microsoft.Playwright.Assertions.Expect(page.Locator("#pacs-sent")).ToHaveTextAsync("1 sent");
        await Microsoft.Playwright.Assertions.Expect(page.Locator("#pacs-refused")).ToHaveTextAsync("0 refused");
        Assert.Single(Host<IAuditTrail>().ReadAll(), e => e.Kind == AuditKinds.PacsRetried && e.Actor == "it.admin" && e.Subject == filed.SeriesId);
        problems.AssertNone();
    }

    [Fact]
    public async Task WithoutALocalCopy_TheFramesLeaveOnceThePacsConfirms_AndAreReadBackFromIt()
    {
        await _rig.Pacs.StartAgainAsync();
        await StartHostAsync(keepLocalCopy: false);
        var filed = await FileASeriesAsync("PACS-PATIENT-4");
        var pixels = new List<byte[]>();
        foreach (var frame in filed.Frames)
        {
            // Read before it is sent, from the archive's own copy.
            pixels.Add(await Host<ISeriesArchive>().ReadFrameAsync(filed.SeriesId, frame.Index, CancellationToken.None));
        }

        await SentAsync(filed.SeriesId);
        var frames = Path.Combine(_rig.Folder, "host", "archive", "frames");
        Assert.Empty(Directory.EnumerateFiles(frames, "*.frame", SearchOption.AllDirectories));
        Assert.Contains("local copy of the frames removed", Assert.Single(Host<IAuditTrail>().ReadAll(), e => e.Kind == AuditKinds.SeriesSentToPacs).Details, StringComparison.Ordinal);

        // The pages and exports still read every frame: from the PACS, checked against the digest filed with it.
        foreach (var frame in filed.Frames)
        {
            Assert.Equal(pixels[frame.Index], await Host<ISeriesArchive>().ReadFrameAsync(filed.SeriesId, frame.Index, CancellationToken.None));
        }

        // With the PACS gone, a frame cannot be had, and says why.
        await _rig.Pacs.KillAsync();
        await Assert.ThrowsAsync<HttpRequestException>(() => Host<ISeriesArchive>().ReadFrameAsync(filed.SeriesId, 0, CancellationToken.None));
    }

    private static async Task<string> RunAsync(string program, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return await output + error;
    }
}
