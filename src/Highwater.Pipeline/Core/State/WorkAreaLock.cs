using System.Text.Json;
using System.Text.Json.Serialization;

namespace Highwater.Pipeline.Core.State;

/// <summary>
/// One run at a time in a work area: an exclusive OS lock on <c>&lt;work&gt;/lock</c> (flock on Linux and macOS, a
/// share-none handle on Windows), held from the start of a command that writes the work area until it ends. The OS
/// drops the lock with the process, however it ends, so a crashed run never blocks the next one. Who holds it (pid,
/// host, start time, command) is written beside it to <c>&lt;work&gt;/lock.json</c>, for the message a second run fails with.
/// </summary>
public sealed class WorkAreaLock : IDisposable
{
    private readonly FileStream _handle;

    private WorkAreaLock(FileStream handle) => _handle = handle;

    public static string LockFile(WorkArea work) => Path.Combine(work.Root, "lock");
    public static string HolderFile(WorkArea work) => Path.Combine(work.Root, "lock.json");

    /// <summary>Takes the lock, or throws <see cref="PipelineStateException"/> naming the run that holds it.</summary>
    public static WorkAreaLock Acquire(WorkArea work, string command, TimeProvider? clock = null)
    {
        Directory.CreateDirectory(work.Root);
        FileStream handle;
        try
        {
            handle = new FileStream(LockFile(work), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
        {
            var holder = ReadHolder(work);
            throw new PipelineStateException(
                $"The work area {work.Root} is in use by another run" +
                (holder is null ? "" : $" ({holder.Command}, pid {holder.Pid} on host {holder.Host}, started {holder.StartedAt:u})") +
                ": two runs must not share a work area. Wait for it to finish, or give this run its own --work folder.", e);
        }
        var record = new WorkAreaHolder(Environment.ProcessId, Environment.MachineName, (clock ?? TimeProvider.System).GetUtcNow(), command);
        WorkArea.WriteAtomically(HolderFile(work), JsonSerializer.Serialize(record, HolderJson.Default.WorkAreaHolder));
        return new WorkAreaLock(handle);
    }

    public static WorkAreaHolder? ReadHolder(WorkArea work)
    {
        try { return JsonSerializer.Deserialize(File.ReadAllText(HolderFile(work)), HolderJson.Default.WorkAreaHolder); }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException) { return null; }
    }

    public void Dispose() => _handle.Dispose();
}

/// <summary>What <c>lock.json</c> holds: the run holding the work area's lock.</summary>
public sealed record WorkAreaHolder(int Pid, string Host, DateTimeOffset StartedAt, string Command);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(WorkAreaHolder))]
internal sealed partial class HolderJson : JsonSerializerContext;
