using System.Drawing;

namespace Appliance.Firmware.Devices.Screen;

/// <summary>
/// Where things go on the 320×240 screen: the preview top left (4:3), the job's code, step and
/// link state in the column beside it, the verdict and the prompt across the bottom. The text is
/// the 5×8 font doubled (10×16 pixels, 26 characters across), tripled for the code.
/// </summary>
public static class ScreenLayout
{
    public static readonly Rectangle Preview = new(0, 0, 208, 156);
    public static readonly Rectangle Column = new(208, 0, 112, 156);
    public static readonly Rectangle Verdict = new(0, 156, 320, 22);
    public static readonly Rectangle Prompt = new(0, 178, 320, 62);
    public static readonly Rectangle Whole = new(0, 0, ScreenCanvas.Width, ScreenCanvas.Height);

    /// <summary>The regions that hold text (all but the preview), sent whenever what they say changes.</summary>
    public static readonly Rectangle[] TextRegions = [Column, Verdict, Prompt];

    public const int PromptScale = 2;
    public const int PromptLines = 3;

    /// <summary>Breaks <paramref name="text"/> at spaces into lines of at most <paramref name="columns"/> characters (a longer word is cut); at most <paramref name="lines"/>.</summary>
    public static IReadOnlyList<string> Wrap(string text, int columns, int lines)
    {
        ArgumentNullException.ThrowIfNull(text);
        var result = new List<string>();
        var line = string.Empty;
        foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = line.Length == 0 ? word : line + " " + word;
            if (candidate.Length <= columns)
            {
                line = candidate;
                continue;
            }

            if (line.Length > 0)
            {
                result.Add(line);
            }

            line = word.Length <= columns ? word : word[..columns];
        }

        if (line.Length > 0)
        {
            result.Add(line);
        }

        return result.Take(lines).ToList();
    }
}
