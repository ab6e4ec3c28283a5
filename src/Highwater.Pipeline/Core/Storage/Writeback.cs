using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Highwater.Pipeline.Core.Storage;

/// <summary>
/// Asks the OS to start writing a file's data to disk now, without waiting for it (<c>sync_file_range</c> with
/// <c>SYNC_FILE_RANGE_WRITE</c> on Linux; nothing elsewhere). Transform's files are flushed to disk by PublishMart before
/// the commit; started as each file is written, that writing overlaps the rest of Transform and QualityGate, and the
/// flush finds little left to do (else it would write the whole batch's files while the run waits). The pages stay
/// cached for whoever reads the file next. A hint only: any failure is ignored, and durability still rests on the flush.
/// </summary>
internal static partial class Writeback
{
    private const uint SyncFileRangeWrite = 2;
    private static bool _unavailable = !OperatingSystem.IsLinux();

    public static void Start(SafeFileHandle file)
    {
        if (_unavailable || file.IsInvalid || file.IsClosed) return;
        var added = false;
        try
        {
            file.DangerousAddRef(ref added);
            _ = sync_file_range((int)file.DangerousGetHandle(), 0, 0, SyncFileRangeWrite);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            _unavailable = true;
        }
        finally
        {
            if (added) file.DangerousRelease();
        }
    }

    [LibraryImport("libc", EntryPoint = "sync_file_range", SetLastError = true)]
    private static partial int sync_file_range(int fd, long offset, long nbytes, uint flags);
}
