using Appliance.Protocol;

namespace Appliance.Host.Core.Jobs;

/// <summary>What the body-site policy says about a job: go ahead, go ahead flagged as intimate, or no and why.</summary>
public sealed record BodySiteDecision(bool Allowed, bool Intimate, string? Refusal)
{
    public static readonly BodySiteDecision Ordinary = new(true, false, null);
}

/// <summary>
/// Intimate areas (breasts, genitalia, the anus and the area around it; seeds <c>001_*</c> and
/// <c>003_*</c>) must never be photographed for anyone under 18, which can be a criminal offence,
/// and only with care for adults. So: an intimate site needs the patient's date of birth; under 18
/// it is refused; for an adult the member of staff must confirm that the patient agreed to this
/// site and a chaperone was offered, and the job and its series carry the flag.
/// </summary>
public static class BodySitePolicy
{
    private static readonly HashSet<string> IntimateTerms = new(StringComparer.OrdinalIgnoreCase)
    {
        "breast", "breasts", "nipple", "genital", "genitals", "pubis", "groin", "perianal", "perineum", "perineal",
        "anal", "buttock", "buttocks",
    };

    public const int AdultAge = 18;

    public static bool IsIntimate(string bodySite) =>
        bodySite.Split([' ', ',', ';', '/', '(', ')', '-'], StringSplitOptions.RemoveEmptyEntries).Any(IntimateTerms.Contains);

    public static BodySiteDecision Decide(string bodySite, DateOnly? dateOfBirth, bool intimateSiteConfirmed, DateOnly today)
    {
        if (BodySites.Check(bodySite) is { } problem)
        {
            return new BodySiteDecision(false, false, problem);
        }

        if (dateOfBirth is { } born && (born > today || born < today.AddYears(-130)))
        {
            return new BodySiteDecision(false, false, "the date of birth is not a possible one");
        }

        if (!IsIntimate(bodySite))
        {
            return BodySiteDecision.Ordinary;
        }

        if (dateOfBirth is not { } dob)
        {
            return new BodySiteDecision(false, true, "this is an intimate site: enter the patient's date of birth");
        }

        if (AgeOn(dob, today) < AdultAge)
        {
            return new BodySiteDecision(false, true, "intimate sites are never photographed for patients under 18");
        }

        return intimateSiteConfirmed
            ? new BodySiteDecision(true, true, null)
            : new BodySiteDecision(false, true, "this is an intimate site: confirm the patient agreed to it and a chaperone was offered");
    }

    /// <summary>
    /// Age in whole years on <paramref name="today"/>. A 29 February birthday turns over on
    /// 1 March in other years: the later day, which is the safe side of an age limit.
    /// </summary>
    public static int AgeOn(DateOnly born, DateOnly today)
    {
        var age = today.Year - born.Year;
        return Anniversary(born, today.Year) > today ? age - 1 : age;
    }

    private static DateOnly Anniversary(DateOnly born, int year) =>
        born is { Month: 2, Day: 29 } && !DateTime.IsLeapYear(year) ? new DateOnly(year, 3, 1) : new DateOnly(year, born.Month, born.Day);
}
