using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using Appliance.EndToEndKit;
using Appliance.TestData;
using Appliance.TestFixtures;
using Microsoft.Playwright;

namespace Appliance.EndToEndTests;

/// <summary>
/// The README's "Press it yourself" as a newcomer follows it: every command of its two blocks
/// run by bash as written, in a fresh folder (the built programs stand in for
/// <c>dotnet run --project …</c>, and the host's ports are free ones instead of 5443 and 8883);
/// the appliance in a pseudo-terminal (<c>script</c>) whose keyboard the test types on; the pages
/// in Chromium; then step 5's wipe command. If the README drifts from the product, this fails.
/// </summary>
public sealed partial class ReadmeWalkthroughTests
{
    private const string HostRun = "dotnet run --project host/Appliance.Host.Web --";
    private const string FirmwareRun = "dotnet run --project firmware/Appliance.Firmware --";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [GeneratedRegex(@"## Press it yourself.*?(?=\n## )", RegexOptions.Singleline)]
    private static partial Regex Section();

    [GeneratedRegex(@"```sh\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex ShellBlock();

    [GeneratedRegex(@"`(dotnet run --project host/Appliance\.Host\.Web -- wipe [^`]+)`")]
    private static partial Regex WipeCommand();

    [GeneratedRegex(@"[0-9A-Z]{5}(?:-[0-9A-Z]{5}){3}")]
    private static partial Regex EnrolmentCode();

    [Fact]
    public async Task TheTwoTerminalWalkthrough_WorksAsWritten_FromCalibrationToAFiledSeries_ToTheWipe()
    {
        var section = Section().Match(await File.ReadAllTextAsync(Path.Combine(Builds.RepositoryRoot, "README.md"))).Value;
        var blocks = ShellBlock().Matches(section).Select(m => m.Groups[1].Value.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith('#')).ToList()).ToList();
        Assert.Equal(2, blocks.Count);
        var (hostTerminal, applianceTerminal) = (blocks[0], blocks[1]);
        Assert.StartsWith($"{HostRun} serve", hostTerminal[^1], StringComparison.Ordinal);

        using var folder = new TempFolder("readme-walkthrough");
        var (webPort, brokerPort) = (FreePort(), FreePort());
        var shell = new Shell(folder.Path, new Dictionary<string, string>
        {
            // The host's own defaults, on ports free here; everything else as the README has it.
            ["Urls"] = $"https://127.0.0.1:{webPort}",
            ["Broker__Port"] = brokerPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });

        // Terminal 1: the passwords, the two users, the package and its code; then the host.
        var said = string.Empty;
        foreach (var line in hostTerminal.SkipLast(1))
        {
            said += await shell.RunToEndAsync(line);
        }

        var code = EnrolmentCode().Match(said).Value;
        Assert.False(string.IsNullOrEmpty(code), said);
        using var host = shell.Start(hostTerminal[^1]);
        var hostLog = new Arm64Firmware.Transcript(host.StandardOutput);
        var hostErrors = new Arm64Firmware.Transcript(host.StandardError);
        await SeenAsync(hostLog, "Application started", host, hostErrors);

        // Terminal 2: enrolled with the code typed when asked, then run at a terminal.
        await shell.RunToEndAsync(applianceTerminal[0], typed: code);
        using var appliance = shell.StartAtTerminal(applianceTerminal[1]);
        var applianceLog = new Arm64Firmware.Transcript(appliance.StandardOutput);
        var applianceErrors = new Arm64Firmware.Transcript(appliance.StandardError);
        await SeenAsync(applianceLog, "Connected to broker", appliance, applianceErrors);
        async Task TypeAsync(string keys)
        {
            await appliance.StandardInput.WriteAsync(keys + "\r");
            await appliance.StandardInput.FlushAsync();
        }

        try
        {
            using var web = X509CertificateLoader.LoadPkcs12FromFile(Path.Combine(folder.Path, "data", "host", "ca", "web.pfx"), null);
            using var playwright = await Playwright.CreateAsync();
            await using var browser = await BrowserSupport.LaunchChromiumAsync(playwright, web);
            var page = await browser.NewPageAsync();
            var problems = PageProblems.Watch(page);
            var hostUrl = $"https://localhost:{webPort}";

            // 1. The admin calibrates desk-01 from the Fleet page.
            await page.GotoAsync($"{hostUrl}/Admin/Fleet");
            await SignInAsync(page, "it.admin", Password(folder, "admin.pass"));
            var row = page.Locator("tr[data-device=\"desk-01\"]");
            await Assertions.Expect(row.Locator("[data-field=online]")).ToHaveTextAsync("online");
            await row.Locator("summary").ClickAsync();
            await row.Locator("button[name=calibrate]").ClickAsync();
            var state = page.Locator("tr[data-device=\"desk-01\"] [data-field=state]");
            await Assertions.Expect(state).ToContainTextAsync("white reference card", new() { Timeout = 30_000 });

            // 2. The cards under the head, and a press each, from terminal 2's keyboard.
            await TypeAsync("white");
            await TypeAsync(string.Empty);
            await Assertions.Expect(state).ToContainTextAsync("colour target", new() { Timeout = 30_000 });
            await TypeAsync("target");
            await TypeAsync(string.Empty);
            await Assertions.Expect(state).ToHaveTextAsync("calibrated", new() { Timeout = 30_000 });
            await TypeAsync("skin");
            await SeenAsync(applianceLog, "ok: skin under the head", appliance, applianceErrors);

            // 3. The nurse makes a capture job with the README's patient identifier.
            await page.ClickAsync("#sign-out");
            await page.GotoAsync($"{hostUrl}/Clinic");
            await SignInAsync(page, "nurse", Password(folder, "nurse.pass"));
            await page.SelectOptionAsync("select[name='Input.DeviceId']", "desk-01");
            await page.FillAsync("input[name='Input.PatientId']", "943 476 5919");
            await page.SelectOptionAsync("select[name='Input.Side']", "left");
            await page.SelectOptionAsync("select[name='Input.Region']", "forearm");
            await page.SelectOptionAsync("select[name='Input.GivenBy']", "Patient");
            await page.SelectOptionAsync("select[name='Input.Form']", "Verbal");
            await page.SelectOptionAsync("select[name='Input.Scope']", "DirectCare");
            await page.CheckAsync("input[name='Input.ConsentTaken']");
            await page.ClickAsync("#create-job");
            var headline = page.Locator("#headline");
            await Assertions.Expect(headline).ToHaveAttributeAsync("data-state", "armed", new() { Timeout = 30_000 });

            // 4. The screen as it is, with the job's code the page shows; Enter for the overview, Enter for the pair:
            // filed with its three thumbnails, and the appliance's copy deleted.
            await Assertions.Expect(headline).ToContainTextAsync("first the overview");
            var jobCode = await page.Locator("#job-code").InnerTextAsync();
            var screenFile = Path.Combine(folder.Path, "data", "desk-01", "screen.bmp");
            for (var attempt = 0; ; attempt++)
            {
                await TypeAsync("screen");
                var answers = attempt + 1;
                await Poll.UntilAsync(() => Regex.Count(applianceLog.ToString(), "ok: the screen as it is now") >= answers, "the appliance's answer to 'screen'", Wait);
                byte[] picture;
                using (var bmp = File.OpenRead(screenFile))
                {
                    Assert.True(Appliance.Firmware.Devices.Camera.Bmp24.TryDecode(bmp, out _, out _, out picture, out var error), error);
                }

                // The screen draws the code once the armed status has reached it, which the page can be told first.
                var mismatch = Enumerable.Range(0, jobCode.Length).Select(i => ScreenGlyphs.Mismatch(picture, jobCode[i], Appliance.Firmware.Devices.Screen.ScreenLayout.Column.Left + 8 + (i * 18), 30, 3)).FirstOrDefault(m => m is not null);
                if (mismatch is null)
                {
                    break;
                }

                Assert.True(attempt < 20, $"the screen never showed the job's code {jobCode}: {mismatch}");
            }

            await TypeAsync(string.Empty);
            await Assertions.Expect(headline).ToContainTextAsync("now place the head on the lesion", new() { Timeout = 30_000 });
            await TypeAsync(string.Empty);
            await Assertions.Expect(headline).ToHaveAttributeAsync("data-state", "filed", new() { Timeout = 30_000 });
            await Assertions.Expect(page.Locator("#thumbnails img")).ToHaveCountAsync(3);
            await Assertions.Expect(page.Locator("#overview-review")).ToBeVisibleAsync();
            await SeenAsync(applianceLog, "deleted from the appliance", appliance, applianceErrors);
            problems.AssertNone();

            // 5. The wipe from a third terminal: confirmed, and the appliance stops (promptly: nobody presses a key).
            var wipe = WipeCommand().Match(section).Groups[1].Value;
            Assert.Contains("desk-01 wiped", await shell.RunToEndAsync(wipe), StringComparison.Ordinal);
            await appliance.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
        }
        finally
        {
            Stop(appliance);
            Stop(host);
        }

        Assert.DoesNotContain("Unhandled exception", applianceLog.ToString(), StringComparison.Ordinal);
    }

    /// <summary>Waits for a line holding <paramref name="text"/>; fails with everything the process said if it exits or the wait ends first.</summary>
    private static async Task SeenAsync(Arm64Firmware.Transcript log, string text, Process process, Arm64Firmware.Transcript errors)
    {
        var line = log.LineAsync(l => l.Contains(text, StringComparison.Ordinal));
        var first = await Task.WhenAny(line, process.WaitForExitAsync(), Task.Delay(Wait));
        Assert.True(first == line, $"no line with '{text}' ({(process.HasExited ? $"exited {process.ExitCode}" : "still running")}):\n{log}\n{errors}");
    }

    private static async Task SignInAsync(IPage page, string name, string password)
    {
        await page.FillAsync("input[name=UserName]", name);
        await page.FillAsync("input[name=Password]", password);
        await page.ClickAsync("#sign-in");
    }

    private static string Password(TempFolder folder, string file) => File.ReadAllText(Path.Combine(folder.Path, "data", file)).TrimEnd('\n');

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void Stop(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }
    }

    /// <summary>Runs the README's lines with bash in one folder, the built programs standing in for <c>dotnet run --project</c>.</summary>
    private sealed class Shell(string folder, IReadOnlyDictionary<string, string> environment)
    {
        public async Task<string> RunToEndAsync(string line, string? typed = null)
        {
            using var process = Start(line);
            await process.StandardInput.WriteLineAsync(typed ?? string.Empty);
            process.StandardInput.Close();
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(Wait);
            var said = await output + await error;
            Assert.True(process.ExitCode == 0, $"`{line}` exited {process.ExitCode}:\n{said}");
            return said;
        }

        public Process Start(string line) => Bash(Translate(line));

        /// <summary>At a pseudo-terminal, as in a terminal window: what is written to its input is typed.</summary>
        public Process StartAtTerminal(string line) => Bash($"exec script -qfec {Quote(Translate(line))} /dev/null");

        private Process Bash(string command)
        {
            var start = new ProcessStartInfo("bash")
            {
                WorkingDirectory = folder,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(command);
            foreach (var (name, value) in environment)
            {
                start.Environment[name] = value;
            }

            return Process.Start(start)!;
        }

        private static string Translate(string line) => line
            .Replace(HostRun, Quote(Builds.Host()), StringComparison.Ordinal)
            .Replace(FirmwareRun, Quote(Path.Combine(Builds.Firmware(), "Appliance.Firmware")), StringComparison.Ordinal);

        private static string Quote(string text) => "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }
}
