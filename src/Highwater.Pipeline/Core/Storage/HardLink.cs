using System.Runtime.InteropServices;

namespace Highwater.Pipeline.Core.Storage;

/// <summary>
/// Creates a hard link: a second name for an existing file's data, made in one metadata operation instead of a copy.
/// Calls the OS directly (<c>link</c> from libc on Linux and macOS, <c>CreateHardLinkW</c> on Windows) through
/// source-generated P/Invokes, so it works under Native AOT.
/// </summary>
internal static partial class HardLink
{
    /// <summary>
    /// Makes <paramref name="newPath"/> a second name of <paramref name="existingPath"/>. False when the file system
    /// cannot (another file system: EXDEV; no hard links there: EPERM, ENOTSUP; a missing source; anything else):
    /// the caller copies instead. <paramref name="newPath"/> must not exist.
    /// </summary>
    public static bool TryCreate(string existingPath, string newPath)
    {
        try
        {
            if (OperatingSystem.IsWindows()) return CreateHardLinkW(newPath, existingPath, IntPtr.Zero);
            if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD()) return link(existingPath, newPath) == 0;
            return false;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int link(string oldPath, string newPath);

    [LibraryImport("kernel32.dll", EntryPoint = "CreateHardLinkW", SetLastError = true, StringMarshalling = StringMarshalling.Utf16)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool CreateHardLinkW(string fileName, string existingFileName, IntPtr securityAttributes);
}
