using System.Text.Json;
using Appliance.Host.Core.Users;
using Microsoft.Extensions.Options;

namespace Appliance.Host.Infrastructure.Security;

/// <summary>The host's users in <c>users.json</c> (owner-only; hashes, never passwords), replaced whole on every change.</summary>
public sealed class FileUserStore(IOptions<HostDataOptions> options) : IUserStore
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };
    private readonly Lock _lock = new();

    private string PathOfStore => options.Value.Resolve("users.json");

    public HostUser? Find(string name)
    {
        lock (_lock)
        {
            return Load().FirstOrDefault(u => u.Name == name);
        }
    }

    public void Save(HostUser user)
    {
        ArgumentNullException.ThrowIfNull(user);
        lock (_lock)
        {
            Write(Load().Where(u => u.Name != user.Name).Append(user));
        }
    }

    public bool Remove(string name)
    {
        lock (_lock)
        {
            var all = Load();
            var removed = all.RemoveAll(u => u.Name == name) > 0;
            if (removed)
            {
                Write(all);
            }

            return removed;
        }
    }

    public IReadOnlyList<HostUser> List()
    {
        lock (_lock)
        {
            return Load();
        }
    }

    private void Write(IEnumerable<HostUser> all) =>
        SecureFiles.WriteAllBytes(PathOfStore, JsonSerializer.SerializeToUtf8Bytes(all.OrderBy(u => u.Name, StringComparer.Ordinal).ToList(), Json));

    private List<HostUser> Load() =>
        File.Exists(PathOfStore) ? JsonSerializer.Deserialize<List<HostUser>>(File.ReadAllBytes(PathOfStore), Json) ?? [] : [];
}
