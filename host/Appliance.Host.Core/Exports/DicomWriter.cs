using System.Buffers.Binary;
using System.Text;

namespace Appliance.Host.Core.Exports;

/// <summary>
/// A minimal DICOM Part 10 writer: explicit VR little endian, data elements given by tag, VR
/// and value, written in tag order with even lengths. Enough for the images we export; no
/// sequences beyond what is added with <see cref="AddSequence"/>.
/// </summary>
public sealed class DicomWriter
{
    private readonly SortedDictionary<uint, (string Vr, byte[] Value)> _elements = [];

    public DicomWriter Add(ushort group, ushort element, string vr, string value)
    {
        var bytes = Encoding.ASCII.GetBytes(value ?? string.Empty);
        // UIDs pad with NUL, text with a space.
        var pad = vr == "UI" ? (byte)0 : (byte)' ';
        return AddBytes(group, element, vr, bytes.Length % 2 == 0 ? bytes : [.. bytes, pad]);
    }

    public DicomWriter AddUs(ushort group, ushort element, ushort value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, value);
        return AddBytes(group, element, "US", bytes);
    }

    public DicomWriter AddBytes(ushort group, ushort element, string vr, byte[] value)
    {
        _elements[((uint)group << 16) | element] = (vr, value.Length % 2 == 0 ? value : [.. value, 0]);
        return this;
    }

    /// <summary>A sequence of items, each a set of elements written the same way (defined lengths).</summary>
    public DicomWriter AddSequence(ushort group, ushort element, params DicomWriter[] items)
    {
        using var body = new MemoryStream();
        Span<byte> header = stackalloc byte[8];
        foreach (var item in items)
        {
            var content = item.EncodeElements();
            BinaryPrimitives.WriteUInt16LittleEndian(header, 0xFFFE);
            BinaryPrimitives.WriteUInt16LittleEndian(header[2..], 0xE000);
            BinaryPrimitives.WriteUInt32LittleEndian(header[4..], (uint)content.Length);
            body.Write(header);
            body.Write(content);
        }

        return AddBytes(group, element, "SQ", body.ToArray());
    }

    /// <summary>The whole file: preamble, "DICM", the file meta group, then the data set.</summary>
    public byte[] ToFile(string sopClassUid, string sopInstanceUid)
    {
        var meta = new DicomWriter()
            .AddBytes(0x0002, 0x0001, "OB", [0, 1])
            .Add(0x0002, 0x0002, "UI", sopClassUid)
            .Add(0x0002, 0x0003, "UI", sopInstanceUid)
            .Add(0x0002, 0x0010, "UI", "1.2.840.10008.1.2.1") // explicit VR little endian
            .Add(0x0002, 0x0012, "UI", ImplementationClassUid)
            .Add(0x0002, 0x0013, "SH", "APPLIANCESUITE");
        var metaBytes = meta.EncodeElements();
        var groupLength = new DicomWriter().AddBytes(0x0002, 0x0000, "UL", BitConverter.GetBytes((uint)metaBytes.Length)).EncodeElements();
        using var file = new MemoryStream();
        file.Write(new byte[128]);
        file.Write("DICM"u8);
        file.Write(groupLength);
        file.Write(metaBytes);
        file.Write(EncodeElements());
        return file.ToArray();
    }

    /// <summary>Our implementation's UID, under the UUID-derived root (2.25) so no registration is needed.</summary>
    public const string ImplementationClassUid = "2.25.210936021871046209561357613298234120141";

    /// <summary>A new UID from a random UUID, as PS3.5 B.2 allows.</summary>
    public static string NewUid() => "2.25." + new System.Numerics.BigInteger([.. Guid.NewGuid().ToByteArray(), 0]).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private byte[] EncodeElements()
    {
        using var output = new MemoryStream();
        Span<byte> header = stackalloc byte[12];
        foreach (var (tag, (vr, value)) in _elements)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(header, (ushort)(tag >> 16));
            BinaryPrimitives.WriteUInt16LittleEndian(header[2..], (ushort)tag);
            header[4] = (byte)vr[0];
            header[5] = (byte)vr[1];
            if (vr is "OB" or "OW" or "SQ" or "UN" or "UT" or "UC" or "UR" or "OD" or "OF" or "OL" or "OV")
            {
                header[6] = 0;
                header[7] = 0;
                BinaryPrimitives.WriteUInt32LittleEndian(header[8..], (uint)value.Length);
                output.Write(header);
            }
            else
            {
                BinaryPrimitives.WriteUInt16LittleEndian(header[6..], (ushort)value.Length);
                output.Write(header[..8]);
            }

            output.Write(value);
        }

        return output.ToArray();
    }
}
