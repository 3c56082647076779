using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Appliance.Protocol;
using Appliance.EndToEndKit;
using Appliance.TestFixtures;

namespace Appliance.EndToEndTests;

/// <summary>
/// After a whole run of the real programs, started the way an admin's shell starts them (umask
/// 022), nothing in the host's or the appliance's data folder is readable by another user, and
/// the key ring that signs session cookies is sealed.
/// </summary>
public sealed class DataFolderPermissionTests
{
    [Fact]
    public async Task AFullRunUnderAPermissiveUmask_LeavesNothingInEitherDataFolderReadableByOthers()
    {
        using var folder = new TempFolder("owner-only");
        var enrolHost = folder.Combine("provisioning-host");
        var enrolled = folder.Combine("enrolled-appliance");
        var demo = folder.Combine("demo");

        // An admin provisions and enrols an appliance by hand.
        var package = folder.Combine("owner-01.enrol.json");
        var provisioned = JsonDocument.Parse(await RunAsync("appliance-host", [], "provision", "owner-01", "--out", package, "--json", $"--Host:DataFolder={enrolHost}")).RootElement;
        await RunAsync(Path.Combine(Builds.Firmware(), "Appliance.Firmware"), new() { ["APPLIANCE_ENROLMENT_CODE"] = provisioned.GetProperty("enrolmentCode").GetString()! }, "enrol", "--package", package, $"--Firmware:DataFolder={enrolled}");

        // The embedded default end to end (the Quick start's first command): calibration, a capture with its overview filed, the appliance's copy deleted.
        var demoOutput = await RunAsync("Appliance.Demo", [], demo);
        Assert.Matches(@"(?m)^Overview filed as frame 2 of the same series: \d+×\d+ in the room's light", demoOutput);
        // The appliance's screen while armed, written where the line says: 320×240, the preview and the job's code on it.
        var screenLine = System.Text.RegularExpressions.Regex.Match(demoOutput, @"(?m)^The appliance's screen shows the job's code ([A-Z0-9]{4}) .*: (\S+\.bmp)$");
        Assert.True(screenLine.Success, demoOutput);
        using (var bmp = File.OpenRead(screenLine.Groups[2].Value))
        {
            Assert.True(Appliance.Firmware.Devices.Camera.Bmp24.TryDecode(bmp, out var width, out var height, out var rgb, out var error), error);
            Assert.Equal((320, 240), (width, height));
            Assert.True(rgb.Count(b => b > 40) > rgb.Length / 4, "the screen picture is mostly dark");
        }

        // The host serving its pages over that data: a sign-in page makes the cookie key ring.
        var port = MosquittoBroker.FreePort();
        var passwordFile = folder.Combine("pass");
        await File.WriteAllTextAsync(passwordFile, "a long admin password\n");
        await RunAsync("appliance-host", [], "user", "add", "it.owner", "--role", "admin", "--password-file", passwordFile, $"--Host:DataFolder={Path.Combine(demo, "host")}");
        using (var serve = Start("appliance-host", [], "serve", $"--Host:DataFolder={Path.Combine(demo, "host")}", $"--Urls=https://127.0.0.1:{port}", "--Broker:Port=0"))
        {
            // Drained, so a chatty log cannot fill the pipe and stall the host.
            _ = serve.StandardOutput.ReadToEndAsync();
            _ = serve.StandardError.ReadToEndAsync();
            try
            {
                using var signedIn = await WhenServingAsync(() => HostPages.SignInAsync($"https://127.0.0.1:{port}", CaOf(demo), "it.owner", "a long admin password"));
            }
            finally
            {
                serve.Kill(entireProcessTree: true);
                await serve.WaitForExitAsync();
            }
        }

        var open = new[] { enrolHost, enrolled, demo }.SelectMany(OwnerOnlyFiles.ReachableByOthers).ToList();
        Assert.True(open.Count == 0, "readable by others:\n" + string.Join('\n', open));
        Assert.True(File.Exists(Path.Combine(demo, "host", "archive", "archive.db")));
        Assert.True(File.Exists(Path.Combine(enrolled, "enrolments")));

        var ring = Directory.GetFiles(Path.Combine(demo, "host", "keys", "sessions"), "*.xml");
        Assert.NotEmpty(ring);
        Assert.All(ring, path =>
        {
            var xml = File.ReadAllText(path);
            Assert.Contains("<sealedKey algorithm=\"XChaCha20-Poly1305\"", xml, StringComparison.Ordinal);
            Assert.DoesNotContain("<value>", xml, StringComparison.Ordinal);
            Assert.DoesNotContain("<masterKey", xml, StringComparison.Ordinal);
        });
    }

    private static X509Certificate2 CaOf(string demo) => X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(demo, "host", "ca", "ca.pem")));

    /// <summary>Runs one of the suite's programs as an admin's shell would, under umask 022; returns its standard output.</summary>
    private static async Task<string> RunAsync(string program, Dictionary<string, string> environment, params string[] arguments)
    {
        using var process = Start(program, environment, arguments);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', arguments)} exited {process.ExitCode}: {await stderr}");
        return await stdout;
    }

    private static Process Start(string program, Dictionary<string, string> environment, params string[] arguments)
    {
        // The test process's own umask may already be 077 (a host started in-process sets it), so say 022 here.
        var start = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("umask 022 && exec \"$0\" \"$@\"");
        start.ArgumentList.Add(Path.IsPathRooted(program) ? program : Path.Combine(AppContext.BaseDirectory, program));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        return Process.Start(start)!;
    }

    private static async Task<T> WhenServingAsync<T>(Func<Task<T>> act)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                return await act();
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }
}
