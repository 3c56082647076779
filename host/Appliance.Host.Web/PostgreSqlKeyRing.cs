using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Npgsql;

namespace Appliance.Host.Web;

/// <summary>
/// The session cookies' key ring in PostgreSQL (<c>session_key_ring</c>) when host instances
/// share a database: a cookie made by one instance is read by every other, and a sign-in holds
/// when the load balancer sends the next request elsewhere. What is stored is already sealed by
/// <see cref="SessionKeyProtection"/>, whose key is in the secrets folder, not in the database.
/// The database is reached at first use, not when built: the pages build the key manager at
/// start-up, and <c>migrate</c> must get that far on a schema not yet there.
/// </summary>
public sealed class PostgreSqlKeyRing(Func<NpgsqlDataSource> database) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var command = database().CreateCommand("SELECT sealed_xml FROM session_key_ring ORDER BY stored_order");
        using var reader = command.ExecuteReader();
        var elements = new List<XElement>();
        while (reader.Read())
        {
            elements.Add(XElement.Parse(reader.GetString(0)));
        }

        return elements;
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        ArgumentNullException.ThrowIfNull(element);
        // Two instances starting at once may each make a key: both are kept, and both read.
        using var command = database().CreateCommand("INSERT INTO session_key_ring (friendly_name, sealed_xml) VALUES ($1, $2) ON CONFLICT (friendly_name) DO NOTHING");
        command.Parameters.Add(new NpgsqlParameter { Value = friendlyName });
        command.Parameters.Add(new NpgsqlParameter { Value = element.ToString(SaveOptions.DisableFormatting) });
        command.ExecuteNonQuery();
    }
}
