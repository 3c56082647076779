using System.Security.Cryptography;

namespace Appliance.TestData;

/// <summary>
/// One real photograph the quality checks are scored on: where Debian ships it, under which
/// licence, by whom, its digest, and which half of the set it belongs to (tuning or scoring,
/// split by photograph so no variant of a scored photograph was ever seen while tuning).
/// </summary>
public sealed record RealPhoto(string Id, string Half, string Package, string PathInPackage, string Licence, string Credit, string Sha256)
{
    public const string TuneHalf = "tune";
    public const string ScoreHalf = "score";

    /// <summary>The file's name in the cache folder <c>tests/photos/fetch.sh</c> fills.</summary>
    public string FileName => Id + Path.GetExtension(PathInPackage);
}

/// <summary>
/// The manifest of real photographs (<c>tests/photos/photos.tsv</c>, embedded) and the folder
/// <c>tests/photos/fetch.sh</c> unpacks them into. Nothing is committed: the photographs come from
/// Debian packages at test time, each checked against its recorded SHA-256.
/// </summary>
public static class RealPhotoSet
{
    /// <summary>$APPLIANCE_PHOTOS, else ${XDG_CACHE_HOME:-~/.cache}/appliance-suite/photos: where fetch.sh puts them.</summary>
    public static string Folder
    {
        get
        {
            if (Environment.GetEnvironmentVariable("APPLIANCE_PHOTOS") is { Length: > 0 } configured)
            {
                return configured;
            }

            var cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg
                ? xdg
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            return Path.Combine(cache, "appliance-suite", "photos");
        }
    }

    public static IReadOnlyList<RealPhoto> Manifest()
    {
        using var stream = typeof(RealPhotoSet).Assembly.GetManifestResourceStream("photos.tsv")
            ?? throw new InvalidOperationException("the photo manifest is not embedded in the test kit");
        using var reader = new StreamReader(stream);
        var photos = new List<RealPhoto>();
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var f = line.Split('\t');
            if (f.Length != 7 || f[1] is not (RealPhoto.TuneHalf or RealPhoto.ScoreHalf))
            {
                throw new InvalidDataException($"photos.tsv: a line is not id, half, package, path, licence, credit, sha256: {line}");
            }

            photos.Add(new RealPhoto(f[0], f[1], f[2], f[3], f[4], f[5], f[6]));
        }

        return photos;
    }

    /// <summary>The photograph's file, checked against its digest; a clear error if fetch.sh has not been run.</summary>
    public static string PathOf(RealPhoto photo)
    {
        ArgumentNullException.ThrowIfNull(photo);
        var path = Path.Combine(Folder, photo.FileName);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"the real photograph {photo.Id} is not in {Folder}: run tests/photos/fetch.sh (the test command does)", path);
        }

        using var file = File.OpenRead(path);
        var digest = Convert.ToHexStringLower(SHA256.HashData(file));
        if (digest != photo.Sha256)
        {
            throw new InvalidDataException($"the real photograph {path} is not the recorded one (sha256 {digest}, recorded {photo.Sha256}): run tests/photos/fetch.sh again");
        }

        return path;
    }
}
