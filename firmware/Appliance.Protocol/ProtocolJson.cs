using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Appliance.Protocol;

[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    WriteIndented = false,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    RespectRequiredConstructorParameters = true,
    RespectNullableAnnotations = true)]
[JsonSerializable(typeof(HostCommand))]
[JsonSerializable(typeof(SeriesManifest))]
[JsonSerializable(typeof(SeriesRouting))]
[JsonSerializable(typeof(FiledReceipt))]
[JsonSerializable(typeof(ApplianceStatus))]
[JsonSerializable(typeof(ProvisioningBundle))]
[JsonSerializable(typeof(WipeReport))]
[JsonSerializable(typeof(HostOrder))]
[JsonSerializable(typeof(EnrolmentPackage))]
[JsonSerializable(typeof(CalibrationProfile))]
[JsonSerializable(typeof(TransferOffer))]
[JsonSerializable(typeof(TransferProgress))]
[JsonSerializable(typeof(Releases.ReleaseManifest))]
[JsonSerializable(typeof(Releases.PackageRequest))]
[JsonSerializable(typeof(Releases.UpdateReport))]
[JsonSerializable(typeof(Releases.ReleaseKeyRotation))]
[JsonSerializable(typeof(Releases.SignedKeyRotation))]
[JsonSerializable(typeof(List<Releases.SignedKeyRotation>))]
public sealed partial class ProtocolJsonContext : JsonSerializerContext;

/// <summary>JSON for every message, strict: unknown members and missing fields are errors.</summary>
public static class ProtocolJson
{
    public static byte[] Serialize<T>(T value) =>
        JsonSerializer.SerializeToUtf8Bytes(value, TypeInfo<T>());

    public static bool TryDeserialize<T>(ReadOnlySpan<byte> utf8, [NotNullWhen(true)] out T? value, out string error)
        where T : class
    {
        value = null;
        try
        {
            value = JsonSerializer.Deserialize(utf8, TypeInfo<T>());
        }
        catch (JsonException ex)
        {
            // The exception message names the path, not the content, so it is safe to log.
            error = $"not a valid {typeof(T).Name}: {ex.Message}";
            return false;
        }

        if (value is null)
        {
            error = $"not a valid {typeof(T).Name}: null";
            return false;
        }

        error = string.Empty;
        return true;
    }

    private static JsonTypeInfo<T> TypeInfo<T>() =>
        (JsonTypeInfo<T>?)ProtocolJsonContext.Default.GetTypeInfo(typeof(T))
        ?? throw new InvalidOperationException($"{typeof(T).Name} is not part of the protocol.");
}
