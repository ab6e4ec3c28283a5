using System.Runtime.InteropServices;

namespace Highwater.Pipeline.Core.Storage;

/// <summary>
/// A file's stat in one call, with the fields .NET does not expose: its inode, device and status-change time (ctime),
/// besides its size, modification time and type, read with Linux's
/// <c>statx</c> (following links, as reading the file does) through a source-generated P/Invoke, so it works under
/// Native AOT. ctime is set by the kernel on every write, rename, link or attribute change and cannot be set back by
/// <c>cp -p</c>, <c>rsync -a</c> or <c>touch -r</c>, which restore only the modification time. Null on other systems
/// and when the call fails (a missing path, a dangling link, a loop of links).
/// </summary>
internal static unsafe partial class FileStat
{
    /// <summary>
    /// Which inode a path leads to, when that inode's status last changed (nanoseconds since the epoch), its size, its
    /// modification time (as .NET's <see cref="FileInfo.LastWriteTimeUtc"/>: 100 ns ticks) and whether it is a folder.
    /// </summary>
    public readonly record struct Identity(ulong Device, ulong Inode, long ChangeTimeNs, long Size, DateTimeOffset Modified, bool IsDirectory);

    private const int AtFdCwd = -100;
    private const uint StatxType = 0x1, StatxMtime = 0x40, StatxCtime = 0x80, StatxIno = 0x100, StatxSize = 0x200;
    private const uint Wanted = StatxType | StatxMtime | StatxCtime | StatxIno | StatxSize;
    private const int BufferSize = 256; // sizeof(struct statx), the same on every Linux architecture

    private static bool _unavailable = !OperatingSystem.IsLinux();

    /// <summary>False where <see cref="Of"/> always answers null (not Linux, or a libc without statx).</summary>
    public static bool Available => !_unavailable;

    public static Identity? Of(string path)
    {
        if (_unavailable) return null;
        var buffer = stackalloc byte[BufferSize];
        try
        {
            if (statx(AtFdCwd, path, 0, Wanted, buffer) != 0) return null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            _unavailable = true; // a libc without statx (glibc before 2.28)
            return null;
        }
        var mask = *(uint*)buffer;
        if ((mask & Wanted) != Wanted) return null;
        // struct statx: stx_mode (u16) at 28, stx_ino at 32, stx_size at 40; timestamps {s64 tv_sec; u32 tv_nsec}:
        // stx_ctime at 96, stx_mtime at 112; stx_dev_major, stx_dev_minor at 136, 140.
        var isDirectory = (*(ushort*)(buffer + 28) & 0xF000) == 0x4000; // S_IFDIR
        var inode = *(ulong*)(buffer + 32);
        var size = *(long*)(buffer + 40);
        var ctime = *(long*)(buffer + 96) * 1_000_000_000L + *(uint*)(buffer + 104);
        var mtime = DateTimeOffset.UnixEpoch.AddTicks(*(long*)(buffer + 112) * TimeSpan.TicksPerSecond + *(uint*)(buffer + 120) / 100);
        var device = (ulong)*(uint*)(buffer + 136) << 32 | *(uint*)(buffer + 140);
        return new Identity(device, inode, ctime, size, mtime, isDirectory);
    }

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statx(int dirFd, string path, int flags, uint mask, byte* buffer);
}
