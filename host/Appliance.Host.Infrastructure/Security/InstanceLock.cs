namespace Appliance.Host.Infrastructure.Security;

/// <summary>
/// An exclusive lock (flock, through <see cref="FileShare.None"/>) on a file in the data folder,
/// held while one host instance reads and replaces something every instance on that folder shares
/// (the audit head, a device's order counter). Another instance waits for it; holders keep it for
/// one short read and write, which is why waiting here is synchronous.
/// </summary>
public static class InstanceLock
{
    public static FileStream Acquire(string lockPath, TimeProvider time)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return new FileStream(lockPath, new FileStreamOptions
                {
                    Mode = FileMode.OpenOrCreate,
                    Access = FileAccess.ReadWrite,
                    Share = FileShare.None,
                    UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                });
            }
            catch (IOException) when (attempt < 2000)
            {
                Task.Delay(TimeSpan.FromMilliseconds(5), time).GetAwaiter().GetResult();
            }
        }
    }
}
