using System.Text.Json;
using Appliance.Host.Core.Users;
using Microsoft.Extensions.Options;

namespace Appliance.Host.Infrastructure.Security;

/// <summary>
/// Sessions in <c>sessions/{id}.json</c>, one owner-only file each, so that host instances on one
/// data folder see each other's sign-outs at the next request. The id is a hash of the cookie's
/// secret: nothing here can be turned back into a cookie.
/// </summary>
public sealed class FileSessionStore(IOptions<HostDataOptions> options) : ISessionStore
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public HostSession? Find(string id)
    {
        if (!IsId(id))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<HostSession>(File.ReadAllBytes(PathOf(id)), Json);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
    }

    public void Save(HostSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (!IsId(session.Id))
        {
            throw new ArgumentException("a session id is 64 lower-case hex digits", nameof(session));
        }

        // Not flushed: a power cut loses at most a "last seen" time or a sign-in, never a sign-out's
        // effect on the user (that is the user's stamp, written durably).
        SecureFiles.WriteAllBytes(PathOf(session.Id), JsonSerializer.SerializeToUtf8Bytes(session, Json), durable: session.EndedAt is not null);
    }

    public void Delete(string id)
    {
        if (IsId(id))
        {
            File.Delete(PathOf(id));
        }
    }

    public IReadOnlyList<HostSession> List()
    {
        var folder = options.Value.Resolve("sessions");
        if (!Directory.Exists(folder))
        {
            return [];
        }

        var result = new List<HostSession>();
        foreach (var path in Directory.EnumerateFiles(folder, "*.json"))
        {
            try
            {
                if (JsonSerializer.Deserialize<HostSession>(File.ReadAllBytes(path), Json) is { } session)
                {
                    result.Add(session);
                }
            }
            catch (Exception ex) when (ex is IOException or JsonException)
            {
                // Deleted by another instance's sweep, or half-written by a crash: not a session.
            }
        }

        return result;
    }

    private string PathOf(string id) => options.Value.Resolve("sessions", id + ".json");

    private static bool IsId(string id) => id is { Length: 64 } && id.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));
}
