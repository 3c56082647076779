using Appliance.Firmware.Devices.Screen;
using Appliance.Protocol;

namespace Appliance.UnitTests.Screen;

/// <summary>What the screen shows for each status: the preview and code while armed, a prompt for each step, the verdict, dark when idle, nothing of a job on a failed integrity check or a wipe.</summary>
public sealed class ScreenModelTests
{
    private static ApplianceStatus Status(ApplianceState state, string? job = "job-7", string? reason = null, CaptureStep? step = null, int queued = 0) =>
        new("clinic-a-01", state, "0.1.0", queued, DateTimeOffset.UnixEpoch, job, reason, Step: step);

    [Fact]
    public void AnOverviewJob_ShowsTheOverviewCameraFirst_ThenSaysTheOverviewWasTaken_AndShowsTheHeadsCamera()
    {
        var overview = ScreenModel.Next(ScreenContent.Dark, Status(ApplianceState.Armed, step: CaptureStep.Overview));

        Assert.Equal((true, PreviewCamera.Overview, JobCodes.For("job-7"), ScreenModel.OverviewPrompt), (overview.Lit, overview.Preview, overview.JobCode, overview.Prompt));
        var contact = ScreenModel.Next(overview, Status(ApplianceState.Armed, step: CaptureStep.Contact));
        Assert.Equal((PreviewCamera.Dermoscopic, ScreenModel.ContactPrompt, "Overview taken", ScreenTone.Good), (contact.Preview, contact.Prompt, contact.Verdict, contact.VerdictTone));
    }

    [Fact]
    public void ARetake_KeepsThePreview_AndSaysWhy_WhileACaptureStopsIt()
    {
        var armed = ScreenModel.Next(ScreenContent.Dark, Status(ApplianceState.Armed));
        var capturing = ScreenModel.Next(armed, Status(ApplianceState.Capturing));
        var retake = ScreenModel.Next(capturing, Status(ApplianceState.Retake, reason: "blurred"));

        Assert.Null(armed.Step); // a job without an overview has one step
        Assert.Null(capturing.Preview);
        Assert.Equal((PreviewCamera.Dermoscopic, "Retake: blurred", ScreenTone.Warning), (retake.Preview, retake.Verdict, retake.VerdictTone));
        Assert.Equal(JobCodes.For("job-7"), retake.JobCode);
    }

    [Fact]
    public void AVerdictStaysAWhile_ThenIdleIsDark()
    {
        var armed = ScreenModel.Next(ScreenContent.Dark, Status(ApplianceState.Armed));
        var accepted = ScreenModel.Next(armed, Status(ApplianceState.Accepted));

        Assert.Equal((true, null, "Accepted", true), (accepted.Lit, accepted.Preview, accepted.Verdict, accepted.HoldUntilDark));
        Assert.Same(accepted, ScreenModel.Next(accepted, Status(ApplianceState.Idle)));
        Assert.Equal(ScreenContent.Dark, ScreenModel.Next(armed, Status(ApplianceState.Idle)));
        Assert.Equal(ScreenContent.Dark, ScreenModel.Next(ScreenModel.Next(armed, Status(ApplianceState.Cancelled)) with { HoldUntilDark = false }, Status(ApplianceState.Idle)));
    }

    [Fact]
    public void AFailedCapture_LeavesTheJobArmed_SoThePreviewStays_WithTheFaultInRed()
    {
        var armed = ScreenModel.Next(ScreenContent.Dark, Status(ApplianceState.Armed, step: CaptureStep.Overview));
        var capturing = ScreenModel.Next(armed, Status(ApplianceState.Capturing, step: CaptureStep.Overview));

        var fault = ScreenModel.Next(capturing, Status(ApplianceState.Fault, reason: "the overview camera took longer than 3000 ms", step: CaptureStep.Overview));

        Assert.Equal((PreviewCamera.Overview, ScreenTone.Bad, false), (fault.Preview, fault.VerdictTone, fault.HoldUntilDark));
        Assert.Equal("Fault: the overview camera took longer than 3000 ms", fault.Verdict);
        Assert.Equal(armed.JobCode, fault.JobCode);
        // A fault with no job armed is a verdict that goes dark.
        Assert.True(ScreenModel.Next(ScreenContent.Dark, Status(ApplianceState.Fault, job: null, reason: "camera")).HoldUntilDark);
    }

    [Theory]
    [InlineData(ApplianceState.Unsafe, "UNSAFE: do not use")]
    [InlineData(ApplianceState.Wiping, "WIPING")]
    public void AFailedIntegrityCheckOrAWipe_LeavesNothingOfTheJob(ApplianceState state, string alert)
    {
        var armed = ScreenModel.Next(ScreenContent.Dark, Status(ApplianceState.Armed, step: CaptureStep.Overview));

        var blank = ScreenModel.Next(armed, Status(state, job: null));

        Assert.Equal(new ScreenContent(Lit: true, Alert: alert), blank);
        Assert.Equal(ScreenContent.Dark, ScreenModel.Next(blank, Status(ApplianceState.Online, job: null)));
    }

    [Fact]
    public void Identify_PicksOutTheCode()
    {
        var armed = ScreenModel.Next(ScreenContent.Dark, Status(ApplianceState.Armed));

        var identifying = ScreenModel.Next(armed, Status(ApplianceState.Identifying));

        Assert.True(identifying.Identifying);
        Assert.Equal(armed.JobCode, identifying.JobCode);
        Assert.False(ScreenModel.Next(identifying, Status(ApplianceState.Armed)).Identifying);
    }

    [Fact]
    public void AJobsCode_IsFourCharactersWithoutLookAlikes_TheSameForTheSameJob()
    {
        var codes = Enumerable.Range(0, 200).Select(i => JobCodes.For($"job-{i}")).ToList();

        Assert.All(codes, c => Assert.Matches("^[ABCDEFGHJKMNPQRSTVWXYZ23456789]{4}$", c));
        Assert.Equal(JobCodes.For("job-3"), codes[3]);
        Assert.True(codes.Distinct().Count() >= 199, "four characters from 30 tell 200 jobs apart");
    }
}
