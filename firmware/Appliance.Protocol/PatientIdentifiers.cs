using System.Text.RegularExpressions;

namespace Appliance.Protocol;

/// <summary>
/// Episode codes: the only thing that ties a series to a patient on the appliance. Random,
/// from an alphabet without look-alikes (no 0/O, 1/I/L, U), so they are read aloud safely and
/// can never be a patient's number or name.
/// </summary>
public static partial class EpisodeCodes
{
    public const string Prefix = "EP-";
    public const string Alphabet = "ABCDEFGHJKMNPQRSTVWXYZ23456789";
    public const int Length = 10;

    public static string New() => Prefix + System.Security.Cryptography.RandomNumberGenerator.GetString(Alphabet, Length);

    public static bool IsValid(string? code) => code is not null && Pattern().IsMatch(code);

    [GeneratedRegex("^EP-[ABCDEFGHJKMNPQRSTVWXYZ23456789]{10}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}

/// <summary>
/// Recognises what must never reach an appliance: an NHS number (ten digits, optionally
/// spaced 3-3-4, with a valid modulus-11 check digit) or a date, such as a date of birth.
/// Used on free text typed by staff; machine-made fields have strict formats instead.
/// </summary>
public static partial class PatientIdentifiers
{
    /// <summary>The first identifier-like thing in <paramref name="text"/>, described without repeating it; null if none.</summary>
    public static string? Find(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (Match candidate in TenDigits().Matches(text))
        {
            if (IsNhsNumber(candidate.Value))
            {
                return "an NHS number";
            }
        }

        return Date().IsMatch(text) ? "a date" : null;
    }

    /// <summary>Ten digits (spaces and hyphens ignored) whose tenth is the modulus-11 check digit of the first nine.</summary>
    public static bool IsNhsNumber(string candidate)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        var digits = candidate.Where(char.IsAsciiDigit).Select(c => c - '0').ToArray();
        if (digits.Length != 10 || candidate.Any(c => !char.IsAsciiDigit(c) && c != ' ' && c != '-'))
        {
            return false;
        }

        var sum = 0;
        for (var i = 0; i < 9; i++)
        {
            sum += digits[i] * (10 - i);
        }

        var check = 11 - (sum % 11);
        return check switch
        {
            11 => digits[9] == 0,
            10 => false, // no valid NHS number has this check value
            _ => digits[9] == check,
        };
    }

    [GeneratedRegex(@"(?<!\d)\d{3}[ -]?\d{3}[ -]?\d{4}(?!\d)", RegexOptions.CultureInvariant)]
    private static partial Regex TenDigits();

    // d/m/y, d-m-y, d.m.y with 2- or 4-digit years, y-m-d, and a day with a month name.
    [GeneratedRegex(
        @"\b\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}\b|\b\d{4}-\d{1,2}-\d{1,2}\b|\b\d{1,2}(st|nd|rd|th)?\s+(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b|\b(dob|d\.o\.b|born)\b",
        RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex Date();
}

/// <summary>
/// Body sites as staff may name them: words from an anatomical vocabulary only (with
/// laterality and direction), no digits. A closed vocabulary is what keeps a patient's name
/// out of the one free-text field that goes to the appliance.
/// </summary>
public static partial class BodySites
{
    private static readonly HashSet<string> Terms = new(StringComparer.OrdinalIgnoreCase)
    {
        // laterality, direction, extent
        "left", "right", "bilateral", "midline", "upper", "lower", "anterior", "posterior", "medial", "lateral",
        "proximal", "distal", "central", "inner", "outer", "dorsal", "ventral", "superior", "inferior", "mid", "of", "and", "the",
        // head and neck
        "scalp", "forehead", "temple", "face", "cheek", "nose", "nasal", "ala", "tip", "ear", "helix", "lobe", "eyelid", "eyebrow",
        "lip", "chin", "jaw", "jawline", "neck", "nape", "vertex", "occiput", "crown", "periorbital", "perioral",
        // trunk
        "chest", "breast", "breasts", "nipple", "sternum", "abdomen", "umbilicus", "back", "shoulder", "scapula", "flank", "loin", "trunk", "waist",
        "axilla", "groin", "pubis", "genital", "genitals", "perianal", "perineum", "perineal", "anal", "buttock", "buttocks", "sacrum", "hip", "clavicle",
        // limbs
        "arm", "elbow", "forearm", "wrist", "hand", "palm", "finger", "fingers", "thumb", "knuckle", "nail", "nails", "nailbed",
        "index", "middle", "ring", "little", "leg", "thigh", "knee", "shin", "calf", "ankle", "heel", "foot", "feet", "sole",
        "instep", "toe", "toes", "hallux", "web", "space", "popliteal", "fossa", "antecubital", "limb",
        // mucosa
        "mucosa", "oral", "tongue", "gum", "conjunctiva",
    };

    /// <summary>Null if <paramref name="site"/> is an acceptable body site; else why not, without repeating it.</summary>
    public static string? Check(string? site)
    {
        if (string.IsNullOrWhiteSpace(site) || site.Length > 64)
        {
            return "bodySite missing or longer than 64 characters";
        }

        if (PatientIdentifiers.Find(site) is { } identifier)
        {
            return $"bodySite holds what looks like {identifier}";
        }

        if (site.Any(char.IsAsciiDigit))
        {
            return "bodySite holds digits";
        }

        return Separators().Split(site.Trim()).All(word => word.Length == 0 || Terms.Contains(word))
            ? null
            : "bodySite has a word that is not an anatomical term (a name?)";
    }

    [GeneratedRegex(@"[\s,;/()\-]+", RegexOptions.CultureInvariant)]
    private static partial Regex Separators();
}
