namespace Highwater.Pipeline.Core.State;

/// <summary>
/// The local folder where a run keeps its batch between stage processes (default <c>.highwater/</c>):
/// the plan, the staging batch, the transformed partitions, quarantine, gate reports and the stage stamps.
/// A stamp file holds the batch id a stage last completed; the Cake script and the CLI both compare it
/// with <see cref="BatchIdFile"/> to decide whether the stage is up to date.
/// </summary>
public sealed class WorkArea
{
    public WorkArea(string root) => Root = Path.GetFullPath(root);

    public string Root { get; }
    public string PlanFile => Path.Combine(Root, "plan.json");
    public string BatchIdFile => Path.Combine(Root, "batch-id");
    public string StagingEvents => Path.Combine(Root, "staging", "events.spool");
    public string QuarantineDir => Path.Combine(Root, "quarantine");
    public string ExtractQuarantine => Path.Combine(QuarantineDir, "extract.ndjson");
    public string TransformQuarantine => Path.Combine(QuarantineDir, "transform.ndjson");
    public string MartDir => Path.Combine(Root, "out", "sales_mart");
    public string KpiDir => Path.Combine(Root, "out", "kpi_daily");
    public string IndexDir => Path.Combine(Root, "out", "order_index");
    /// <summary>Transform's winners on their way to their partitions (deleted when Transform completes).</summary>
    public string TransformSpill => Path.Combine(Root, "spill", "transform.spool");
    public string TransformSummaryFile => Path.Combine(Root, "transform.json");
    /// <summary>The packed user dimension of the last Transform, reused while the dimension's files are unchanged.</summary>
    public string UserDimensionCache => Path.Combine(Root, "cache", "users.hwusers");
    public string GateDir => Path.Combine(Root, "gate");

    public string StampFile(string stage) => Path.Combine(Root, "stamps", stage);

    public string? ReadBatchId() => File.Exists(BatchIdFile) ? File.ReadAllText(BatchIdFile).Trim() : null;

    public bool IsDone(string stage, string batchId) =>
        File.Exists(StampFile(stage)) && File.ReadAllText(StampFile(stage)).Trim() == batchId;

    public void MarkDone(string stage, string batchId)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(StampFile(stage))!);
        File.WriteAllText(StampFile(stage), batchId);
    }

    public void ClearStamp(string stage)
    {
        if (File.Exists(StampFile(stage))) File.Delete(StampFile(stage));
    }

    /// <summary>Empties a folder of stage output so a stage never mixes its runs.</summary>
    public static void ResetDirectory(string path)
    {
        if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        Directory.CreateDirectory(path);
    }

    /// <summary>
    /// Creates <paramref name="path"/> as a new file (its folder too), removing what was there first; never opens an
    /// existing file to truncate or overwrite it. Every writer of a file PublishMart may publish goes through here:
    /// a local warehouse hard-links published files (<see cref="LocalFolderStore.PutFileAsync"/>), so a file
    /// of the work area may share its data with a warehouse object, and writing into it in place would change the
    /// published object. Removing the name first leaves that object's data alone.
    /// </summary>
    public static FileStream CreateFile(string path, FileAccess access = FileAccess.Write, int bufferSize = 4096)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.Delete(path);
        return new FileStream(path, FileMode.CreateNew, access, FileShare.None, bufferSize);
    }

    /// <summary>Writes a file by renaming a temporary beside it, so no reader sees it half-written.</summary>
    public static void WriteAtomically(string path, string content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + ".tmp";
        File.WriteAllText(temp, content);
        File.Move(temp, path, overwrite: true);
    }
}
