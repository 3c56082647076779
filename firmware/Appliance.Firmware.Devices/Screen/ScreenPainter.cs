using System.Drawing;
using Appliance.Protocol;

namespace Appliance.Firmware.Devices.Screen;

/// <summary>Draws everything but the preview's frames: the code column, the verdict bar, the prompt, or an alert on an otherwise empty screen.</summary>
public static class ScreenPainter
{
    public static readonly ushort Black = ScreenCanvas.Rgb565(0, 0, 0);
    public static readonly ushort White = ScreenCanvas.Rgb565(255, 255, 255);
    public static readonly ushort Grey = ScreenCanvas.Rgb565(150, 150, 150);
    public static readonly ushort Panel = ScreenCanvas.Rgb565(24, 24, 32);

    public static ushort ToneColour(ScreenTone tone) => tone switch
    {
        ScreenTone.Good => ScreenCanvas.Rgb565(20, 140, 60),
        ScreenTone.Warning => ScreenCanvas.Rgb565(230, 150, 0),
        ScreenTone.Bad => ScreenCanvas.Rgb565(200, 30, 30),
        _ => ScreenCanvas.Rgb565(70, 70, 80),
    };

    public static void Paint(ScreenCanvas canvas, ScreenContent content, bool online, int queued)
    {
        ArgumentNullException.ThrowIfNull(canvas);
        ArgumentNullException.ThrowIfNull(content);
        if (!content.Lit || content.Alert is not null)
        {
            canvas.Fill(ScreenLayout.Whole, Black);
            if (content.Alert is { } alert)
            {
                canvas.Text(ScreenLayout.Whole, (ScreenCanvas.Width - ScreenCanvas.TextWidth(alert, 3)) / 2, 108, alert, 3, ToneColour(ScreenTone.Bad));
            }

            return;
        }

        if (content.Preview is null)
        {
            canvas.Fill(ScreenLayout.Preview, Black);
        }

        PaintColumn(canvas, content, online, queued);
        var verdictColour = content.Verdict is null ? Black : ToneColour(content.VerdictTone);
        canvas.Fill(ScreenLayout.Verdict, verdictColour);
        if (content.Verdict is { } verdict)
        {
            canvas.Text(ScreenLayout.Verdict, 4, ScreenLayout.Verdict.Top + 3, (ScreenLayout.Wrap(verdict, 26, 1) is [var first, ..] ? first : string.Empty), 2, White);
        }

        canvas.Fill(ScreenLayout.Prompt, Black);
        var lines = ScreenLayout.Wrap(content.Prompt ?? string.Empty, ScreenLayout.Prompt.Width / 12, ScreenLayout.PromptLines);
        for (var i = 0; i < lines.Count; i++)
        {
            canvas.Text(ScreenLayout.Prompt, 4, ScreenLayout.Prompt.Top + 4 + (i * 19), lines[i], ScreenLayout.PromptScale, White);
        }
    }

    private static void PaintColumn(ScreenCanvas canvas, ScreenContent content, bool online, int queued)
    {
        var column = ScreenLayout.Column;
        // Identify: the code on white, as the status LED lights white.
        canvas.Fill(column, content.Identifying ? White : Panel);
        var ink = content.Identifying ? Black : White;
        if (content.JobCode is { } code)
        {
            canvas.Text(column, column.Left + 8, 8, "JOB", 2, content.Identifying ? Black : Grey);
            canvas.Text(column, column.Left + 8, 30, code, 3, ink);
        }

        if (content.Step is { } step && content.JobCode is not null)
        {
            canvas.Text(column, column.Left + 8, 66, step == CaptureStep.Overview ? "STEP 1/2" : "STEP 2/2", 2, ink);
        }

        canvas.Text(column, column.Left + 8, 118, online ? "ONLINE" : "OFFLINE", 1, online ? Grey : ToneColour(ScreenTone.Warning));
        canvas.Text(column, column.Left + 8, 134, queued == 1 ? "1 TO SEND" : $"{queued} TO SEND", 1, Grey);
    }
}
