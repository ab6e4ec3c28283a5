using System.Diagnostics;
using System.Text.RegularExpressions;
using Highwater.Pipeline.Core.Storage;
using Highwater.Tests.Support;
using Xunit;

namespace Highwater.Tests.Storage;

/// <summary>
/// Runs a private s3rver (a local S3-compatible server, installed in tests/tools by
/// scripts/install-test-tools.sh) on 127.0.0.1 with a fresh data folder and the given buckets.
/// The server can be stopped and restarted on the same port and data folder, for outage tests.
/// Fails, never skips, when s3rver is not installed.
/// </summary>
public sealed partial class S3rverFixture : IAsyncLifetime, IAsyncDisposable
{
    /// <summary>The bucket every fixture configures unless told otherwise.</summary>
    public const string DefaultBucket = "highwater-test";

    /// <summary>The only access key s3rver accepts (it does not check secrets).</summary>
    public const string AccessKey = "S3RVER";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private readonly string[] _buckets;
    private readonly Queue<string> _outputTail = new();
    private Process? _process;
    private int _port;

    /// <summary>A server with <see cref="DefaultBucket"/> (the constructor xunit uses for shared fixtures).</summary>
    public S3rverFixture() : this([DefaultBucket]) { }

    private S3rverFixture(string[] buckets)
    {
        _buckets = buckets.Length == 0 ? [DefaultBucket] : buckets;
        DataDirectory = Directory.CreateTempSubdirectory("highwater-s3rver-").FullName;
    }

    /// <summary>A server, not yet started, with the given buckets (for tests that stop and restart their own server).</summary>
    public static S3rverFixture WithBuckets(params string[] buckets) => new(buckets);

    /// <summary>Starts a private server with the given buckets (for tests that stop and restart it); dispose it when done.</summary>
    public static async Task<S3rverFixture> StartNewAsync(params string[] buckets)
    {
        var server = WithBuckets(buckets);
        try
        {
            await server.StartAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Path of the s3rver launcher inside the repository.</summary>
    public static string ExecutablePath => RepoRoot.Combine("tests", "tools", "node_modules", ".bin", "s3rver");

    /// <summary>The folder s3rver keeps its buckets in; deleted on dispose.</summary>
    public string DataDirectory { get; }

    /// <summary>The buckets created at start.</summary>
    public IReadOnlyList<string> Buckets => _buckets;

    /// <summary>The server's base URL, for example <c>http://127.0.0.1:41234</c>.</summary>
    public Uri Endpoint => _port == 0
        ? throw new InvalidOperationException("s3rver has not been started.")
        : new Uri($"http://127.0.0.1:{_port}");

    /// <summary>True while the server process runs.</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Options for our S3 client against this server: S3-compatible defaults, s3rver credentials, fast retries.</summary>
    public S3Options CreateOptions() => new()
    {
        ServiceUrl = Endpoint,
        Region = "us-east-1",
        Credentials = new S3Credentials(AccessKey, AccessKey),
        MaxRetries = 3,
        RetryBaseDelay = TimeSpan.FromMilliseconds(1),
        RetryMaxDelay = TimeSpan.FromMilliseconds(20),
    };

    /// <summary>A store over <paramref name="bucket"/> (default: the first bucket) and <paramref name="prefix"/>.</summary>
    public S3ObjectStore CreateStore(string prefix, S3Options? options = null, string? bucket = null) =>
        new(bucket ?? _buckets[0], prefix, options ?? CreateOptions());

    public Task InitializeAsync() => StartAsync();

    /// <summary>
    /// Starts the server: on a free port the first time, on the same port (and data folder) after <see cref="Stop"/>.
    /// </summary>
    public async Task StartAsync()
    {
        if (IsRunning) throw new InvalidOperationException("s3rver is already running.");
        if (!File.Exists(ExecutablePath))
            throw new InvalidOperationException(
                $"s3rver is not installed ({ExecutablePath} is missing). Run scripts/install-test-tools.sh from the repository root, then rerun the tests.");

        var info = new ProcessStartInfo(ExecutablePath)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = DataDirectory,
        };
        foreach (var arg in (string[])["-d", DataDirectory, "-a", "127.0.0.1", "-p", _port.ToString()]) info.ArgumentList.Add(arg);
        foreach (var bucket in _buckets)
        {
            info.ArgumentList.Add("--configure-bucket");
            info.ArgumentList.Add(bucket);
        }
        // Without the legacy provider every paged listing (continuation token) fails with HTTP 500 on Node 20.
        info.Environment["NODE_OPTIONS"] = "--openssl-legacy-provider";

        var listening = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => OnOutput(e.Data, listening);
        process.ErrorDataReceived += (_, e) => OnOutput(e.Data, null);
        process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException(
            $"s3rver exited before listening. Output:{Environment.NewLine}{OutputTail()}"));
        if (!process.Start())
            throw new InvalidOperationException($"Could not start {ExecutablePath}.");
        _process = process;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var started = await Task.WhenAny(listening.Task, Task.Delay(StartTimeout));
        if (started != listening.Task)
        {
            Stop();
            throw new TimeoutException($"s3rver did not report 'S3rver listening on 127.0.0.1:PORT' within {StartTimeout.TotalSeconds} s. Output:{Environment.NewLine}{OutputTail()}");
        }
        _port = await listening.Task;
    }

    /// <summary>Kills the server process (by its id) and waits for it to exit. The data folder stays.</summary>
    public void Stop()
    {
        var process = _process;
        _process = null;
        if (process is null) return;
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            process.WaitForExit(TimeSpan.FromSeconds(10));
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
        process.Dispose();
    }

    public Task DisposeAsync()
    {
        Stop();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // a leftover temp folder is harmless
        }
        return Task.CompletedTask;
    }

    ValueTask IAsyncDisposable.DisposeAsync() => new(DisposeAsync());

    private void OnOutput(string? line, TaskCompletionSource<int>? listening)
    {
        if (line is null) return;
        lock (_outputTail)
        {
            _outputTail.Enqueue(line);
            while (_outputTail.Count > 50) _outputTail.Dequeue();
        }
        if (listening is not null && ListeningLine().Match(line) is { Success: true } m)
            listening.TrySetResult(int.Parse(m.Groups["port"].Value));
    }

    private string OutputTail()
    {
        lock (_outputTail) return string.Join(Environment.NewLine, _outputTail);
    }

    [GeneratedRegex(@"S3rver listening on 127\.0\.0\.1:(?<port>\d+)")]
    private static partial Regex ListeningLine();
}
