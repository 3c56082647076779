using System.Diagnostics;
using Appliance.TestFixtures;

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

    /// <summary>
    /// Flushes and unmounts, so the image holds everything that reached the medium. A file this
    /// process still holds open on the medium fails the test at once, by name: the appliance let
    /// go of it no more than a thief's reader would. Another process holding it (a child another
    /// test is starting, which holds a copy of every open file until it executes) is waited out.
    /// </summary>
    public async Task UnmountAsync()
    {
        if (!_mounted)
        {
            return;
        }

        var own = Holders().Where(h => h.Pid == Environment.ProcessId).ToList();
        if (own.Count > 0)
        {
            throw new InvalidOperationException($"this process still holds {string.Join(", ", own.Select(h => h.Path))} on the medium");
        }

        await Poll.UntilAsync(() => Holders().Count == 0, $"nothing else holding {MountPoint}", () => string.Join(", ", Holders().Select(h => $"{h.Pid} {h.Command}: {h.Path}")), TimeSpan.FromSeconds(30));
        await RunAsync("umount", MountPoint);
        _mounted = false;
    }

    /// <summary>Every process's open files and working folder under the mount point, from /proc.</summary>
    private List<(int Pid, string Command, string Path)> Holders()
    {
        var held = new List<(int, string, string)>();
        var prefix = MountPoint.TrimEnd('/') + "/";
        foreach (var process in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(process), out var pid))
            {
                continue;
            }

            try
            {
                var links = Directory.EnumerateFileSystemEntries(Path.Combine(process, "fd")).Append(Path.Combine(process, "cwd"));
                foreach (var link in links)
                {
                    if (new FileInfo(link).LinkTarget is { } target && (target == MountPoint || target.StartsWith(prefix, StringComparison.Ordinal)))
                    {
                        held.Add((pid, File.ReadAllText(Path.Combine(process, "comm")).Trim(), target));
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process ended while being read, or is not ours to look at.
            }
        }

        return held;
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
