namespace Highwater.Pipeline.Core.Storage;

/// <summary>
/// A folder on the local file system as an object store. Writes go to a temporary file beside the
/// target and are renamed into place, so a reader never sees half an object.
/// The version tag of a file is its stat identity (see <see cref="FileVersion"/>): cheap to list, and changed by any
/// rewrite, even one that keeps the size and restores the modification time. <see cref="PutFileAsync"/> hard-links a local file on the same
/// file system instead of copying it.
/// </summary>
public sealed class LocalFolderStore : IObjectStore
{
    internal const string TempMarker = ".hw-tmp-";
    private readonly string _root;

    public LocalFolderStore(string root)
    {
        _root = Path.GetFullPath(root);
    }

    public string Root => _root;

    public string Description => _root;

    public async IAsyncEnumerable<StoredObject> ListAsync(string prefix, string? startAfter = null,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default, ICollection<UnlistedEntry>? unlisted = null)
    {
        await Task.CompletedTask;
        // Start from the deepest folder the prefix names, then filter by the full prefix.
        var slash = prefix.LastIndexOf('/');
        var folder = slash < 0 ? _root : Path.Combine(_root, prefix[..slash]);
        if (!Directory.Exists(folder)) yield break;

        var keys = new List<string>();
        var passedOver = new List<UnlistedEntry>();
        Walk(folder, AncestorsOf(folder), startAfter, keys, passedOver, ct);
        bool Wanted(string key) => key.StartsWith(prefix, StringComparison.Ordinal)
                                   && (startAfter is null || string.CompareOrdinal(key, startAfter) > 0);
        keys.RemoveAll(key => !Wanted(key) || Path.GetFileName(key).Contains(TempMarker, StringComparison.Ordinal));
        keys.Sort(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            ct.ThrowIfCancellationRequested();
            var path = Path.Combine(_root, key);
            if (Describe(key, path) is { } obj) yield return obj;
            else if (LeadsNowhere(path)) passedOver.Add(new UnlistedEntry(key, "a link to nothing (its target does not exist, or the links loop)"));
            // else: removed while listing
        }
        if (unlisted is not null)
            foreach (var entry in passedOver.Where(e => Wanted(e.Key)).OrderBy(e => e.Key, StringComparer.Ordinal)) unlisted.Add(entry);
    }

    /// <summary>
    /// Collects the key of every file under <paramref name="folder"/>, depth first, except that a sub-folder whose every
    /// key sorts at or before <paramref name="startAfter"/> is not entered: listing the last days of a landing zone then
    /// costs the same with 30 or 300 date folders before them. A link to a folder is followed unless it leads to a folder
    /// on the way down to it (<paramref name="ancestors"/>, by device and inode): that is a cycle, which is reported (a
    /// link to a file that leads nowhere is reported when it is described). Without <see cref="FileStat"/> (not Linux) a
    /// link to a folder is not followed and is reported.
    /// </summary>
    private void Walk(string folder, List<(ulong, ulong)> ancestors, string? startAfter, List<string> keys,
        List<UnlistedEntry> unlisted, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var options = new EnumerationOptions { RecurseSubdirectories = false, AttributesToSkip = 0, IgnoreInaccessible = false };
        // No stat per file here (a link's type is read from its target by IsDirectory; a dangling one is found when it
        // is described): listing costs one directory read per folder and one statx per file.
        var entries = new System.IO.Enumeration.FileSystemEnumerable<(string Path, bool IsDirectory)>(folder,
            (ref System.IO.Enumeration.FileSystemEntry e) => (e.ToFullPath(), e.IsDirectory), options);
        foreach (var (path, isDirectory) in entries.ToList())
        {
            var key = KeyOf(path);
            if (!isDirectory)
            {
                keys.Add(key);
                continue;
            }
            if (startAfter is not null && AllKeysAtOrBefore(key + "/", startAfter)) continue;
            var id = FileStat.Of(path);
            if (id is null && new DirectoryInfo(path).LinkTarget is not null)
            {
                unlisted.Add(new UnlistedEntry(key + "/", "a link to a folder, not followed on this system"));
                continue;
            }
            if (id is { } d && ancestors.Contains((d.Device, d.Inode)))
            {
                unlisted.Add(new UnlistedEntry(key + "/", "a link back to a folder above it (a cycle): not followed"));
                continue;
            }
            if (id is { } entered) ancestors.Add((entered.Device, entered.Inode));
            Walk(path, ancestors, startAfter, keys, unlisted, ct);
            if (id is not null) ancestors.RemoveAt(ancestors.Count - 1);
        }
    }

    /// <summary>True for a link whose final target does not exist, or whose links loop.</summary>
    private static bool LeadsNowhere(string path)
    {
        string? target;
        try { target = new FileInfo(path).LinkTarget; }
        catch (IOException) { return false; } // gone
        if (target is null) return false;
        try { return File.ResolveLinkTarget(path, returnFinalTarget: true) is not { Exists: true }; }
        catch (IOException) { return true; } // too many levels of links
    }

    /// <summary>The device and inode of <paramref name="folder"/> and of every folder above it.</summary>
    private static List<(ulong, ulong)> AncestorsOf(string folder)
    {
        var result = new List<(ulong, ulong)>();
        for (var dir = folder; dir is not null; dir = Path.GetDirectoryName(dir))
            if (FileStat.Of(dir) is { } id) result.Insert(0, (id.Device, id.Inode));
        return result;
    }

    private string KeyOf(string path) => Path.GetRelativePath(_root, path).Replace(Path.DirectorySeparatorChar, '/');

    /// <summary>
    /// True when every key starting with <paramref name="folderPrefix"/> (a folder's key followed by '/') sorts
    /// ordinally at or before <paramref name="startAfter"/>: the prefix sorts before it and is not a prefix of it.
    /// </summary>
    internal static bool AllKeysAtOrBefore(string folderPrefix, string startAfter) =>
        string.CompareOrdinal(folderPrefix, startAfter) < 0 && !startAfter.StartsWith(folderPrefix, StringComparison.Ordinal);

    public Task<StoredObject?> HeadAsync(string key, CancellationToken ct = default) => Task.FromResult(Describe(key, PathOf(key)));

    public async Task<Stream> OpenReadFromAsync(string key, long offset, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        var s = await OpenReadAsync(key, ct);
        s.Seek(offset, SeekOrigin.Begin);
        return s;
    }

    public Task<Stream> OpenReadAsync(string key, CancellationToken ct = default)
    {
        var path = PathOf(key);
        try
        {
            Stream s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete,
                bufferSize: 1 << 16, FileOptions.SequentialScan | FileOptions.Asynchronous);
            return Task.FromResult(s);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ObjectNotFoundException(Description, key);
        }
    }

    public async Task PutAsync(string key, Stream content, CancellationToken ct = default)
    {
        var temp = await WriteTempAsync(key, content, ct);
        File.Move(temp, PathOf(key), overwrite: true);
    }

    /// <summary>
    /// Puts a local file by hard-linking it under a temporary name beside the target and renaming that into place
    /// (the same atomic rename as <see cref="PutAsync"/>): no data is copied, so publishing a 15 MB partition costs
    /// two metadata operations and a flush. The object then shares its data with <paramref name="localPath"/>: it stays
    /// as it is when that file is deleted or replaced by a new file, but would change if the file were written in
    /// place, which is why every writer of the work area creates a fresh file. When the file cannot be linked
    /// (another file system, a file system without hard links, any other refusal) it is copied as by <see cref="PutAsync"/>.
    /// </summary>
    public async Task PutFileAsync(string key, string localPath, CancellationToken ct = default)
    {
        var target = PathOf(key);
        var temp = TempPathFor(target);
        if (HardLink.TryCreate(Path.GetFullPath(localPath), temp))
        {
            try
            {
                // As durable as a copy: the data is on disk before the rename publishes it (and before any manifest
                // naming it is written). Cheap when the file's pages were already written back.
                using (var data = new FileStream(temp, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1))
                    data.Flush(flushToDisk: true);
                File.Move(temp, target, overwrite: true);
                // When the target already is a name of the same file (the same file put twice), rename(2) does nothing
                // and leaves the temporary name: remove it.
                if (File.Exists(temp)) File.Delete(temp);
            }
            catch
            {
                if (File.Exists(temp)) File.Delete(temp);
                throw;
            }
            return;
        }
        await using var source = new FileStream(localPath, FileMode.Open, FileAccess.Read, FileShare.Read,
            bufferSize: 1 << 16, FileOptions.SequentialScan | FileOptions.Asynchronous);
        await PutAsync(key, source, ct);
    }

    public async Task<bool> PutIfAbsentAsync(string key, Stream content, CancellationToken ct = default)
    {
        var temp = await WriteTempAsync(key, content, ct);
        try
        {
            // Without overwrite the rename fails atomically when the target exists.
            File.Move(temp, PathOf(key), overwrite: false);
            return true;
        }
        catch (IOException) when (File.Exists(PathOf(key)))
        {
            File.Delete(temp);
            return false;
        }
    }

    public Task DeleteAsync(string key, CancellationToken ct = default)
    {
        var path = PathOf(key);
        if (File.Exists(path)) File.Delete(path);
        // A put killed between its link (or write) and its rename leaves the object's temporary name: it goes too.
        var folder = Path.GetDirectoryName(path)!;
        if (Directory.Exists(folder))
            foreach (var temp in Directory.EnumerateFiles(folder, Path.GetFileName(path) + TempMarker + "*"))
                File.Delete(temp);
        // Tidy empty partition folders so listings stay small.
        var dir = Path.GetDirectoryName(path);
        while (dir is not null && dir.Length > _root.Length && Directory.Exists(dir)
               && !Directory.EnumerateFileSystemEntries(dir).Any())
        {
            Directory.Delete(dir);
            dir = Path.GetDirectoryName(dir);
        }
        return Task.CompletedTask;
    }

    /// <summary>A fresh temporary name beside <paramref name="target"/> (its folder created); listings skip it.</summary>
    private static string TempPathFor(string target)
    {
        var folder = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(folder);
        return Path.Combine(folder, Path.GetFileName(target) + TempMarker + Guid.NewGuid().ToString("N")[..8]);
    }

    private async Task<string> WriteTempAsync(string key, Stream content, CancellationToken ct)
    {
        var temp = TempPathFor(PathOf(key));
        try
        {
            await using (var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            {
                await content.CopyToAsync(fs, ct);
                await fs.FlushAsync(ct);
                fs.Flush(flushToDisk: true);
            }
            return temp;
        }
        catch
        {
            if (File.Exists(temp)) File.Delete(temp);
            throw;
        }
    }

    private string PathOf(string key)
    {
        if (key.Length == 0 || key.StartsWith('/') || key.Split('/').Any(p => p is ".." or "."))
            throw new ArgumentException($"'{key}' is not a valid object key.", nameof(key));
        return Path.Combine(_root, key.Replace('/', Path.DirectorySeparatorChar));
    }

    /// <summary>The file at <paramref name="path"/> as an object (one statx where there is one), or null when there is no file.</summary>
    private static StoredObject? Describe(string key, string path)
    {
        if (FileStat.Of(path) is { } stat)
            return stat.IsDirectory ? null : new StoredObject(key, FileVersion.LocalTag(stat.Size, stat.Modified, stat), stat.Size, stat.Modified);
        if (FileStat.Available) return null; // missing, or a link that leads nowhere
        var info = new FileInfo(path);
        if (!info.Exists) return null;
        var modified = new DateTimeOffset(info.LastWriteTimeUtc, TimeSpan.Zero);
        return new StoredObject(key, FileVersion.LocalTag(info.Length, modified, null), info.Length, modified);
    }
}
