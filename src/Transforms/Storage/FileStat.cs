using System.Runtime.InteropServices;

namespace Highwater.Storage;

/// <summary>
/// The stat fields .NET does not expose: a file's inode, device and status-change time (ctime), read with Linux's
/// <c>statx</c> (following links, as reading the file does) through a source-generated P/Invoke, so it works under
/// Native AOT. ctime is set by the kernel on every write, rename, link or attribute change and cannot be set back by
/// <c>cp -p</c>, <c>rsync -a</c> or <c>touch -r</c>, which restore only the modification time. Null on other systems
/// and when the call fails (a missing path, a dangling link, a loop of links).
/// </summary>
internal static unsafe partial class FileStat
{
    /// <summary>Which inode a path leads to, and when that inode's status last changed (nanoseconds since the epoch).</summary>
    public readonly record struct Identity(ulong Device, ulong Inode, long ChangeTimeNs);

    private const int AtFdCwd = -100;
    private const uint StatxIno = 0x100, StatxCtime = 0x80;
    private const int BufferSize = 256; // sizeof(struct statx), the same on every Linux architecture

    private static bool _unavailable = !OperatingSystem.IsLinux();

    public static Identity? Of(string path)
    {
        if (_unavailable) return null;
        var buffer = stackalloc byte[BufferSize];
        try
        {
            if (statx(AtFdCwd, path, 0, StatxIno | StatxCtime, buffer) != 0) return null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            _unavailable = true; // a libc without statx (glibc before 2.28)
            return null;
        }
        var mask = *(uint*)buffer;
        if ((mask & (StatxIno | StatxCtime)) != (StatxIno | StatxCtime)) return null;
        // struct statx: stx_ino at 32; stx_ctime {s64 tv_sec; u32 tv_nsec} at 96; stx_dev_major, stx_dev_minor at 136, 140.
        var inode = *(ulong*)(buffer + 32);
        var ctime = *(long*)(buffer + 96) * 1_000_000_000L + *(uint*)(buffer + 104);
        var device = (ulong)*(uint*)(buffer + 136) << 32 | *(uint*)(buffer + 140);
        return new Identity(device, inode, ctime);
    }

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statx(int dirFd, string path, int flags, uint mask, byte* buffer);
}
