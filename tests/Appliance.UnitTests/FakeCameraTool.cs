namespace Appliance.UnitTests;

/// <summary>
/// Writes a fake camera tool (a bash script standing in for <c>rpicam-still</c> or
/// <c>v4l2-ctl</c>): <c>$args</c> holds all its arguments, <c>$OUT</c> the value after
/// <paramref name="outputFlag"/>, <c>$KNOWN</c> a file of known content; then runs <paramref name="body"/>.
/// </summary>
internal static class FakeCameraTool
{
    public static string Write(string folder, string name, string outputFlag, string knownFile, string body)
    {
        var path = Path.Combine(folder, $"{name}-{Guid.NewGuid():N}");
        File.WriteAllText(path, $$"""
            #!/usr/bin/env bash
            args="$*"
            OUT=""
            while [ $# -gt 0 ]; do
              if [ "$1" = "{{outputFlag}}" ]; then OUT="$2"; fi
              shift
            done
            KNOWN="{{knownFile}}"
            {{body}}
            """.Replace("\r", "", StringComparison.Ordinal));
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }
}
