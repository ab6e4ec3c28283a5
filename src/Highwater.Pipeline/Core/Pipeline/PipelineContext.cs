using Highwater.Pipeline.Core.Logging;
using Highwater.Pipeline.Core.State;
using Highwater.Pipeline.Core.Storage;

namespace Highwater.Pipeline.Core.Pipeline;

/// <summary>Where a run reads and writes, and how it reports. Built once per CLI invocation.</summary>
public sealed class PipelineContext
{
    public required IObjectStore Landing { get; init; }
    public required IObjectStore Users { get; init; }
    public required IObjectStore Warehouse { get; init; }
    public required WorkArea Work { get; init; }
    public required string ContractsDir { get; init; }
    public IStageLog Log { get; init; } = StageLog.Silent;

    public const int DefaultLookbackDays = 7;

    /// <summary>
    /// How many date folders before the newest one already processed Discover lists again, to find late
    /// files. Folders older than that are not listed (see docs/s3.md, "Discovery and the lookback window").
    /// </summary>
    public int LookbackDays { get; init; } = DefaultLookbackDays;

    /// <summary>How the mart's INTEGER columns are written (<c>--mart-integers</c>): DELTA_BINARY_PACKED unless asked for PLAIN.</summary>
    public ParquetIntegerEncoding MartIntegers { get; init; } = ParquetIntegerEncoding.Delta;
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>How long the warehouse lease taken by PublishMart lasts before another run may take it over.</summary>
    public TimeSpan LeaseDuration { get; init; } = WarehouseLease.DefaultDuration;

    /// <summary>Where tests make a run die or pause (HIGHWATER_FAIL_AT / HIGHWATER_PAUSE_AT in the CLI).</summary>
    public FaultInjector Faults { get; init; } = FaultInjector.None;
}

/// <summary>The names stages use for their stamps; also the CLI command names.</summary>
public static class StageNames
{
    public const string Discover = "discover";
    public const string Extract = "extract";
    public const string Transform = "transform";
    public const string Gate = "gate";
    public const string Publish = "publish";
}
