using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Highwater.Pipeline.Core.Logging;
using Highwater.Pipeline.Core.Storage;

namespace Highwater.Pipeline.Core.State;

/// <summary>
/// The writer's lease on a warehouse, <c>_highwater/lease.json</c>, created with a conditional put
/// (<see cref="IObjectStore.PutIfAbsentAsync"/>) so that of two runs only one publishes. It names the run,
/// host, process and when it started, and expires (default 15 minutes) so a crashed holder does not block
/// forever. A lease is taken over when it has expired, or when its holder ran on this host and that process
/// is gone. Release deletes it only if it is still ours.
/// </summary>
public sealed class WarehouseLease
{
    public const string Key = "_highwater/lease.json";
    public static readonly TimeSpan DefaultDuration = TimeSpan.FromMinutes(15);

    private readonly IObjectStore _warehouse;
    private readonly IStageLog _log;

    private WarehouseLease(IObjectStore warehouse, LeaseRecord record, IStageLog log)
    {
        _warehouse = warehouse;
        Record = record;
        _log = log;
    }

    public LeaseRecord Record { get; }

    /// <summary>Takes the lease for <paramref name="runId"/>, or throws <see cref="PipelineStateException"/> naming the holder.</summary>
    public static async Task<WarehouseLease> AcquireAsync(IObjectStore warehouse, string runId, TimeSpan duration,
        TimeProvider clock, IStageLog log, CancellationToken ct = default)
    {
        var now = clock.GetUtcNow();
        var mine = new LeaseRecord(runId, Environment.MachineName, Environment.ProcessId, now, now + duration, Guid.NewGuid().ToString("N"));
        if (await TryCreateAsync(warehouse, mine, ct)) return new WarehouseLease(warehouse, mine, log);

        var held = await ReadAsync(warehouse, ct);
        // A put retried after its first attempt reached the store (the answer was lost) finds the lease taken: by us.
        if (held is not null && held.IsSameAs(mine)) return new WarehouseLease(warehouse, mine, log);
        if (held is null) // released between our put and our read
        {
            if (await TryCreateAsync(warehouse, mine, ct)) return new WarehouseLease(warehouse, mine, log);
            held = await ReadAsync(warehouse, ct);
        }
        var reason = held is null ? "it is unreadable" : TakeOverReason(held, now);
        if (held is not null && reason is null)
            throw new PipelineStateException(
                $"The warehouse {warehouse.Description} is leased by run {held.RunId} (host {held.Host}, pid {held.Pid}), " +
                $"started {held.StartedAt:u}, lease expires {held.ExpiresAt:u}: another run is publishing. Try again after it " +
                $"finishes; if that run is dead, wait for the expiry or delete {Key} by hand.");

        log.Warn($"taking over the warehouse lease of run {held?.RunId ?? "?"}: {reason}");
        await warehouse.DeleteAsync(Key, ct);
        if (await TryCreateAsync(warehouse, mine, ct)) return new WarehouseLease(warehouse, mine, log);
        var winner = await ReadAsync(warehouse, ct);
        if (winner is not null && winner.IsSameAs(mine)) return new WarehouseLease(warehouse, mine, log);
        throw new PipelineStateException(
            $"The warehouse {warehouse.Description} was leased by run {winner?.RunId ?? "?"} (host {winner?.Host}, pid {winner?.Pid}), " +
            $"started {winner?.StartedAt:u}, while this run took over a stale lease: another run is publishing. Try again after it finishes.");
    }

    /// <summary>Deletes the lease if it is still ours (it may have expired and been taken over).</summary>
    public async Task ReleaseAsync(CancellationToken ct = default)
    {
        var held = await ReadAsync(_warehouse, ct);
        if (held is not null && held.IsSameAs(Record))
            await _warehouse.DeleteAsync(Key, ct);
        else
            _log.Warn($"the warehouse lease of run {Record.RunId} was taken over by {held?.RunId ?? "nobody"} before release");
    }

    /// <summary>Why a held lease may be taken over, or null when it is live.</summary>
    public static string? TakeOverReason(LeaseRecord held, DateTimeOffset now)
    {
        if (now >= held.ExpiresAt) return $"it expired at {held.ExpiresAt:u}";
        if (held.Host == Environment.MachineName && !IsRunning(held.Pid))
            return $"its process {held.Pid} on this host ({held.Host}) is gone";
        return null;
    }

    public static async Task<LeaseRecord?> ReadAsync(IObjectStore warehouse, CancellationToken ct = default)
    {
        try
        {
            await using var body = await warehouse.OpenReadAsync(Key, ct);
            return await JsonSerializer.DeserializeAsync(body, LeaseJson.Default.LeaseRecord, ct);
        }
        catch (ObjectNotFoundException) { return null; }
        catch (JsonException) { return null; }
    }

    private static async Task<bool> TryCreateAsync(IObjectStore warehouse, LeaseRecord record, CancellationToken ct)
    {
        using var body = new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(record, LeaseJson.Default.LeaseRecord));
        return await warehouse.PutIfAbsentAsync(Key, body, ct);
    }

    /// <summary>True while a process with that id runs (a zombie — killed, not yet reaped — does not).</summary>
    public static bool IsRunning(int pid)
    {
        var stat = $"/proc/{pid}/stat";
        if (OperatingSystem.IsLinux())
        {
            try
            {
                var text = File.ReadAllText(stat);
                var state = text[(text.LastIndexOf(')') + 2)..].TrimStart();
                return state.Length > 0 && state[0] is not ('Z' or 'X');
            }
            catch (IOException) { return false; }
            catch (UnauthorizedAccessException) { return true; }
        }
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }
}

/// <summary>
/// What <c>_highwater/lease.json</c> holds. <see cref="Token"/> is drawn afresh by every acquisition: the lease is
/// ours exactly when the stored token is the one we drew (a lease written by an earlier build has none; then run,
/// host and process must match).
/// </summary>
public sealed record LeaseRecord(string RunId, string Host, int Pid, DateTimeOffset StartedAt, DateTimeOffset ExpiresAt, string? Token = null)
{
    public bool IsSameAs(LeaseRecord other) => Token is not null || other.Token is not null
        ? Token == other.Token
        : RunId == other.RunId && Host == other.Host && Pid == other.Pid;
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(LeaseRecord))]
internal sealed partial class LeaseJson : JsonSerializerContext;
