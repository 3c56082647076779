using System.Security.Cryptography;
using System.Text;

namespace Appliance.Protocol;

/// <summary>
/// A job's identification code: four characters the job's page and the armed appliance's screen
/// both show, so staff see they are about to capture for the patient in front of them. Derived
/// from the job id (which both sides hold), from the episode codes' alphabet without look-alikes;
/// it says nothing about the patient.
/// </summary>
public static class JobCodes
{
    public const int Length = 4;

    public static string For(string jobId)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(jobId), digest);
        Span<char> code = stackalloc char[Length];
        for (var i = 0; i < Length; i++)
        {
            // Two bytes per character: 65536 is not a multiple of 30, but the bias (under 0.05 %) does not matter for telling jobs apart.
            code[i] = EpisodeCodes.Alphabet[((digest[2 * i] << 8) | digest[(2 * i) + 1]) % EpisodeCodes.Alphabet.Length];
        }

        return new string(code);
    }
}
