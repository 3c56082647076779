using System.Diagnostics;

namespace Appliance.EndToEndTests;

/// <summary>
/// A small ext4 file system in an image file, loop-mounted: what an appliance writes lands on a
/// medium whose every block a test can read afterwards, deleted and replaced files included, as a
/// forensic reader of a stolen SD card would (short of the card's own wear levelling).
/// </summary>
internal sealed class LoopMedium : IDisposable
{
    private bool _mounted;

    private LoopMedium(string image, string mountPoint)
    {
        Image = image;
        MountPoint = mountPoint;
    }

    public string Image { get; }

    public string MountPoint { get; }

    public static async Task<LoopMedium> MountAsync(string image, string mountPoint, int megabytes)
    {
        using (var file = File.Create(image))
        {
            file.SetLength(megabytes * 1024L * 1024);
        }

        Directory.CreateDirectory(mountPoint);
        await RunAsync("mkfs.ext4", "-q", "-F", image);
        await RunAsync("mount", "-o", "loop", image, mountPoint);
        return new LoopMedium(image, mountPoint) { _mounted = true };
    }

    /// <summary>Flushes and unmounts, so the image holds everything that reached the medium.</summary>
    public async Task UnmountAsync()
    {
        if (_mounted)
        {
            await RunAsync("umount", MountPoint);
            _mounted = false;
        }
    }

    /// <summary>Every needle found anywhere in the image's bytes, by name.</summary>
    public IReadOnlyList<string> Find(IReadOnlyDictionary<string, byte[]> needles)
    {
        var bytes = File.ReadAllBytes(Image);
        return [.. needles.Where(n => bytes.AsSpan().IndexOf(n.Value) >= 0).Select(n => n.Key)];
    }

    public void Dispose()
    {
        if (_mounted)
        {
            using var process = Process.Start(new ProcessStartInfo("umount", ["-l", MountPoint]) { RedirectStandardError = true });
            process?.WaitForExit(10_000);
        }
    }

    private static async Task RunAsync(string command, params string[] arguments)
    {
        var start = new ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{command} {string.Join(' ', arguments)} exited {process.ExitCode}: {await stderr} (the test needs root and a loop device, as on the CI machine)");
        }
    }
}
