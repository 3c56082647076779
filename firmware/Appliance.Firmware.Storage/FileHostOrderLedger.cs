using System.Text.Json;
using Appliance.Firmware.Core;

namespace Appliance.Firmware.Storage;

/// <summary>
/// The host-order ledger in <c>host-contact.json</c> in the data folder, replaced whole through
/// a flushed temporary file and a rename, so a power cut leaves the old or the new state,
/// never a torn one. A missing file is a fresh enrolment: the lease counts from first start.
/// </summary>
public sealed class FileHostOrderLedger : IHostOrderLedger
{
    public const string FileName = "host-contact.json";

    private readonly Lock _lock = new();
    private readonly string _path;
    private HostContact _current;

    public FileHostOrderLedger(string dataFolder, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        _path = Path.Combine(dataFolder, FileName);
        _current = Read(_path) ?? new HostContact(0, time.GetUtcNow());
        if (!File.Exists(_path))
        {
            Write(_current);
        }
    }

    public HostContact Current
    {
        get
        {
            lock (_lock)
            {
                return _current;
            }
        }
    }

    public void Accept(long counter, DateTimeOffset at)
    {
        lock (_lock)
        {
            if (counter <= _current.LastCounter)
            {
                throw new InvalidOperationException($"counter {counter} is not above {_current.LastCounter}");
            }

            var next = _current with { LastCounter = counter, LastContactAt = at > _current.LastContactAt ? at : _current.LastContactAt };
            Write(next);
            _current = next;
        }
    }

    public void AcceptCommand(long counter)
    {
        lock (_lock)
        {
            if (counter <= _current.LastCommandCounter)
            {
                throw new InvalidOperationException($"command counter {counter} is not above {_current.LastCommandCounter}");
            }

            var next = _current with { LastCommandCounter = counter };
            Write(next);
            _current = next;
        }
    }

    private void Write(HostContact contact)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        var temporary = _path + ".tmp";
        using (var file = new FileStream(temporary, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
            JsonSerializer.Serialize(file, new Stored(contact.LastCounter, contact.LastContactAt, contact.LastCommandCounter));
            file.Flush(flushToDisk: true);
        }

        File.Move(temporary, _path, overwrite: true);
    }

    private static HostContact? Read(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        // A damaged ledger must not reset the counter to zero (that would reopen replay): refuse to start.
        var stored = JsonSerializer.Deserialize<Stored>(File.ReadAllBytes(path))
            ?? throw new InvalidDataException($"{path} is empty");
        return new HostContact(stored.LastCounter, stored.LastContactAt, stored.LastCommandCounter);
    }

    private sealed record Stored(long LastCounter, DateTimeOffset LastContactAt, long LastCommandCounter = 0);
}
