using Appliance.Protocol;

namespace Appliance.UnitTests;

/// <summary>Nothing that looks like a patient identifier may arm an appliance.</summary>
public sealed class PatientIdentifierTests
{
    private static CaptureJob Job(string bodySite, string episode = "EP-ABCDEFGHJK", string jobId = "job-1") =>
        new(jobId, episode, bodySite, ConsentScope.DirectCare, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddMinutes(5));

    [Theory]
    [InlineData("9434765919")]
    [InlineData("943 476 5919")]
    [InlineData("943-476-5919")]
    [InlineData("4010232137")]
    public void NhsNumbersWithAValidCheckDigit_AreRecognised(string number) => Assert.True(PatientIdentifiers.IsNhsNumber(number));

    [Theory]
    [InlineData("9434765918")] // wrong check digit
    [InlineData("943476591")] // nine digits
    [InlineData("1234567890")] // check value 10: never issued
    public void OtherDigitRuns_AreNotNhsNumbers(string number) => Assert.False(PatientIdentifiers.IsNhsNumber(number));

    [Theory]
    [InlineData("left forearm")]
    [InlineData("scalp")]
    [InlineData("Right anterior thigh")]
    [InlineData("upper back, left of midline")]
    [InlineData("dorsal hand (right)")]
    [InlineData("web space of left foot")]
    public void AnatomicalSites_AreAccepted(string site)
    {
        Assert.Null(BodySites.Check(site));
        Assert.Null(Job(site).Validate());
    }

    [Theory]
    [InlineData("left arm 943 476 5919", "an NHS number")]
    [InlineData("back 9434765919", "an NHS number")]
    [InlineData("shin 12/03/1961", "a date")]
    [InlineData("shin 1961-03-12", "a date")]
    [InlineData("shin 12 March", "a date")]
    [InlineData("dob shin", "a date")]
    [InlineData("left forearm John Smith", "not an anatomical term")]
    [InlineData("mrs jones back", "not an anatomical term")]
    [InlineData("bed 4 left shin", "digits")]
    public void IdentifyingBodySites_AreRefused_WithAReasonThatDoesNotRepeatThem(string site, string reason)
    {
        var problem = Job(site).Validate();

        Assert.NotNull(problem);
        Assert.Contains(reason, problem);
        foreach (var word in site.Split(' ').Where(w => w.Length > 3 && w != "left" && w != "back" && w != "shin"))
        {
            Assert.DoesNotContain(word, problem, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Theory]
    [InlineData("EP-9434765919")] // digits 0 and 1 are not in the alphabet: an NHS number cannot be an episode code
    [InlineData("EP-ABCDEFGHJ")]
    [InlineData("ep-abcdefghjk")]
    [InlineData("SMITH-JOHN")]
    public void AnythingButAnEpisodeCode_IsRefused(string episode) => Assert.Contains("episodeCode", Job("back", episode).Validate());

    [Theory]
    [InlineData("job with spaces")]
    [InlineData("")]
    public void MalformedJobIds_AreRefused(string jobId) => Assert.Contains("jobId", Job("back", jobId: jobId).Validate());

    [Fact]
    public void NewEpisodeCodes_AreValid_AndDiffer()
    {
        var codes = Enumerable.Range(0, 200).Select(_ => EpisodeCodes.New()).ToList();

        Assert.All(codes, c => Assert.True(EpisodeCodes.IsValid(c), c));
        Assert.Equal(codes.Count, codes.Distinct().Count());
    }
}
