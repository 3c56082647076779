namespace Appliance.EndToEndTests;

/// <summary>Looks for slices of known plaintext in files on disk.</summary>
internal static class PlaintextScan
{
    /// <summary>32-byte slices from across a frame; any one found in a file means pixels leaked.</summary>
    public static IReadOnlyList<byte[]> Markers(byte[] pixels, int count = 16)
    {
        var markers = new List<byte[]>();
        var step = (pixels.Length - 32) / count;
        for (var i = 0; i < count; i++)
        {
            markers.Add(pixels.AsSpan(i * step, 32).ToArray());
        }

        return markers;
    }

    public static bool AnyFound(string folder, IReadOnlyList<byte[]> markers) =>
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Any(f => Found(ReadIfStillThere(f), markers));

    /// <summary>LiteDB's log file and the archive's temporary files can go between listing and reading.</summary>
    private static byte[] ReadIfStillThere(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (FileNotFoundException)
        {
            return [];
        }
    }

    public static bool Found(byte[] content, IReadOnlyList<byte[]> markers) => markers.Any(m => content.AsSpan().IndexOf(m) >= 0);
}
