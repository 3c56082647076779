using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Appliance.Host.Core.Pacs;
using Microsoft.Extensions.Options;

namespace Appliance.Host.Infrastructure.Pacs;

/// <summary>
/// The trust's PACS over DICOMweb: STOW-RS (<c>POST {root}studies</c>, one
/// <c>multipart/related; type="application/dicom"</c> request per series). A 4xx answer other
/// than 408 and 429, or a 2xx whose answer lists failed SOP instances, is a refusal; anything
/// else (5xx, no answer, a timeout) may pass later. What the PACS said is kept to its status and
/// failure reasons: its body is never logged, as it may echo the patient.
/// </summary>
public sealed class DicomWebPacs : IPacs, IDisposable
{
    private readonly HttpClient _http;
    private readonly Uri? _root;
    private readonly AuthenticationHeaderValue? _credentials;

    public DicomWebPacs(IOptions<PacsOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Value.DicomWebUrl is { } url)
        {
            // Credentials in the URL (user:password@, from the environment or a secret mount) go as HTTP basic
            // authentication, over TLS in service; they are never part of what is shown or logged.
            var address = new UriBuilder(url) { UserName = string.Empty, Password = string.Empty };
            address.Path = address.Path.EndsWith('/') ? address.Path : address.Path + "/";
            _root = address.Uri;
            if (url.UserInfo.Length > 0)
            {
                _credentials = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(Uri.UnescapeDataString(url.UserInfo))));
            }
        }

        // The request timeout is the forwarder's (a cancellation); a PACS behind a changing address is found again every few minutes.
        _http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public string Describe() => _root is null ? "no PACS" : $"{_root.Scheme}://{_root.Authority}{_root.AbsolutePath}";

    public async Task StoreAsync(IReadOnlyList<byte[]> instances, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(instances);
        var root = _root ?? throw new InvalidOperationException("Pacs:DicomWebUrl is not set");
        using var content = new MultipartContent("related", $"appliance-{Guid.NewGuid():N}");
        content.Headers.ContentType!.Parameters.Add(new NameValueHeaderValue("type", "\"application/dicom\""));
        foreach (var instance in instances)
        {
            var part = new ByteArrayContent(instance);
            part.Headers.ContentType = new MediaTypeHeaderValue("application/dicom");
            content.Add(part);
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(root, "studies")) { Content = content };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/dicom+json"));
        request.Headers.Authorization = _credentials;
        using var response = await _http.SendAsync(request, cancellationToken);
        if (response.StatusCode is >= HttpStatusCode.BadRequest and < HttpStatusCode.InternalServerError
            and not HttpStatusCode.RequestTimeout and not HttpStatusCode.TooManyRequests)
        {
            throw new PacsRefusedException($"the PACS answered {(int)response.StatusCode} {response.ReasonPhrase}");
        }

        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"the PACS answered {(int)response.StatusCode} {response.ReasonPhrase}", null, response.StatusCode);
        }

        var failed = FailedInstances(await response.Content.ReadAsByteArrayAsync(cancellationToken));
        if (failed > 0)
        {
            throw new PacsRefusedException($"the PACS stored the series but refused {failed} of its {instances.Count} instances");
        }
    }

    public async Task<byte[]> RetrievePixelsAsync(string studyUid, string seriesUid, string instanceUid, CancellationToken cancellationToken)
    {
        var root = _root ?? throw new InvalidOperationException("Pacs:DicomWebUrl is not set");
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(root, $"studies/{studyUid}/series/{seriesUid}/instances/{instanceUid}/frames/1"));
        // Uncompressed pixels, as filed: the digest in the archive's record is over exactly these bytes.
        request.Headers.Accept.ParseAdd("multipart/related; type=\"application/octet-stream\"; transfer-syntax=1.2.840.10008.1.2.1");
        request.Headers.Authorization = _credentials;
        using var response = await _http.SendAsync(request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            throw new KeyNotFoundException($"the PACS does not hold instance {instanceUid}");
        }

        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"the PACS answered {(int)response.StatusCode} {response.ReasonPhrase}", null, response.StatusCode);
        }

        var boundary = response.Content.Headers.ContentType?.Parameters.FirstOrDefault(p => p.Name.Equals("boundary", StringComparison.OrdinalIgnoreCase))?.Value?.Trim('"')
            ?? throw new InvalidDataException("the PACS's answer is not multipart");
        return FirstPart(await response.Content.ReadAsByteArrayAsync(cancellationToken), boundary);
    }

    /// <summary>The body of the first part of a multipart message (RFC 2046): after its headers' blank line, up to the next delimiter.</summary>
    private static byte[] FirstPart(byte[] message, string boundary)
    {
        var delimiter = System.Text.Encoding.ASCII.GetBytes("--" + boundary);
        var span = message.AsSpan();
        var start = span.IndexOf(delimiter);
        var headersEnd = start < 0 ? -1 : span[start..].IndexOf("\r\n\r\n"u8);
        if (headersEnd < 0)
        {
            throw new InvalidDataException("the PACS's multipart answer has no part");
        }

        var body = start + headersEnd + 4;
        var end = span[body..].IndexOf([.. "\r\n"u8, .. delimiter]);
        return end < 0 ? throw new InvalidDataException("the PACS's multipart answer is cut short") : span.Slice(body, end).ToArray();
    }

    /// <summary>How many instances the STOW-RS answer lists under Failed SOP Sequence (0008,1198).</summary>
    private static int FailedInstances(byte[] answer)
    {
        if (answer.Length == 0)
        {
            return 0;
        }

        try
        {
            using var json = JsonDocument.Parse(answer);
            return json.RootElement.ValueKind == JsonValueKind.Object
                && json.RootElement.TryGetProperty("00081198", out var failed)
                && failed.TryGetProperty("Value", out var items)
                ? items.GetArrayLength()
                : 0;
        }
        catch (JsonException)
        {
            // An answer in XML or none at all: the status said it was stored.
            return 0;
        }
    }

    public void Dispose() => _http.Dispose();
}
