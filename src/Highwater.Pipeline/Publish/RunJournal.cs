using System.Text.Json;
using System.Text.Json.Serialization;
using Highwater.Pipeline.Core.Logging;
using Highwater.Pipeline.Core.Pipeline;
using Highwater.Pipeline.Core.State;
using Highwater.Pipeline.Core.Storage;

namespace Highwater.Pipeline.Publish;

/// <summary>
/// A publishing run's journal, <c>_highwater/journal/&lt;run id&gt;.json</c>: written under the warehouse lease before
/// the run puts any file, it names every key the run writes and every key its commit replaces, and it is deleted
/// once the replaced files are gone. A journal still there means that run was interrupted; <see cref="FinishAsync"/>
/// (run under the lease) removes those of its files the manifest does not list — the run's uncommitted parts (and a
/// local store's temporary names of them) before its commit, the files it replaced after — and then the journal.
/// These are the only published files a run deletes besides the ones its own commit replaces: each is provably
/// written, or replaced, by a run the warehouse recorded.
/// </summary>
public sealed class RunJournal
{
    public const string Prefix = "_highwater/journal/";

    public string RunId { get; set; } = "";
    public List<string> Writes { get; set; } = [];
    public List<string> Replaces { get; set; } = [];

    public static string KeyOf(string runId) => $"{Prefix}{runId}.json";

    public async Task SaveAsync(IObjectStore warehouse, CancellationToken ct)
    {
        using var body = new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(this, JournalJson.Default.RunJournal));
        await warehouse.PutAsync(KeyOf(RunId), body, ct);
    }

    public static Task DeleteAsync(IObjectStore warehouse, string runId, CancellationToken ct) => warehouse.DeleteAsync(KeyOf(runId), ct);

    /// <summary>True when an interrupted run left a journal (one LIST; nothing else is read).</summary>
    public static async Task<bool> AnyAsync(IObjectStore warehouse, CancellationToken ct)
    {
        await foreach (var _ in warehouse.ListAsync(Prefix, null, ct)) return true;
        return false;
    }

    /// <summary>
    /// What every writing command does first (before Discover, so also when nothing is new): when an interrupted run
    /// left a journal, take the lease, finish it, release. A live run holding the lease is publishing; it finishes them.
    /// </summary>
    public static async Task FinishInterruptedAsync(PipelineContext ctx, bool rebuild, CancellationToken ct)
    {
        if (rebuild || !await AnyAsync(ctx.Warehouse, ct)) return;
        WarehouseLease lease;
        try
        {
            lease = await WarehouseLease.AcquireAsync(ctx.Warehouse, "finish-interrupted", ctx.LeaseDuration, ctx.Clock, ctx.Log, ct);
        }
        catch (PipelineStateException e)
        {
            ctx.Log.Info($"interrupted runs are not finished now: {e.Message}");
            return;
        }
        try
        {
            var manifest = await HighWatermarkManifest.LoadAsync(ctx.Warehouse, ct);
            var removed = await FinishAsync(ctx.Warehouse, manifest, ctx.Log, ct);
            if (removed > 0) ctx.Log.Info($"  removed {removed} leftover file(s) of an interrupted run");
        }
        finally
        {
            try { await lease.ReleaseAsync(CancellationToken.None); }
            catch (StorageException e) { ctx.Log.Warn($"could not release the warehouse lease ({e.Message}); it expires at {lease.Record.ExpiresAt:u}"); }
        }
    }

    /// <summary>
    /// Finishes every interrupted run's journal against <paramref name="manifest"/> (the committed state): removes its
    /// files that the manifest does not list, then the journal. Call only while holding the warehouse lease. Returns how
    /// many files were removed.
    /// </summary>
    public static async Task<int> FinishAsync(IObjectStore warehouse, HighWatermarkManifest manifest, IStageLog log, CancellationToken ct)
    {
        var journals = new List<string>();
        await foreach (var obj in warehouse.ListAsync(Prefix, null, ct))
            if (obj.Key.EndsWith(".json", StringComparison.Ordinal)) journals.Add(obj.Key);
        if (journals.Count == 0) return 0;
        var live = manifest.LiveFiles();
        var removed = 0;
        foreach (var key in journals)
        {
            RunJournal? journal;
            try
            {
                await using var body = await warehouse.OpenReadAsync(key, ct);
                journal = await JsonSerializer.DeserializeAsync(body, JournalJson.Default.RunJournal, ct);
            }
            catch (ObjectNotFoundException) { continue; }
            catch (JsonException e)
            {
                // A journal is put whole, so this is not one of ours half-written: leave it for a person to look at.
                log.Warn($"{warehouse.Description}/{key} is not a run journal ({e.Message}); left alone");
                continue;
            }
            if (journal is null) continue;
            var committed = manifest.LastRunId == journal.RunId || manifest.Files.Values.Any(f => f.RunId == journal.RunId);
            foreach (var file in journal.Writes.Concat(journal.Replaces).Distinct(StringComparer.Ordinal))
            {
                if (live.Contains(file)) continue;
                await warehouse.DeleteAsync(file, ct);
                log.Diagnostic($"removed {file} (run {journal.RunId} was interrupted {(committed ? "after" : "before")} its commit)");
                removed++;
            }
            await warehouse.DeleteAsync(key, ct);
            log.Info($"  finished interrupted run {journal.RunId}: {(committed ? "it had committed; removed the files it replaced" : "it had not committed; removed its uncommitted files")}");
        }
        return removed;
    }
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(RunJournal))]
internal sealed partial class JournalJson : JsonSerializerContext;
