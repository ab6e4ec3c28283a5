using System.Diagnostics;

namespace Highwater.Tests.Storage;

/// <summary>
/// Runs the AWS CLI (Debian's <c>awscli</c>, installed by scripts/install-test-tools.sh) against s3rver,
/// as a client independent of the AWS SDK for .NET. Fails, never skips, when it is not installed.
/// </summary>
internal static class AwsCli
{
    /// <summary>The aws executable: /usr/bin/aws (the Debian package) when present, else the first on PATH.</summary>
    public static string ExecutablePath { get; } = Locate();

    /// <summary>Runs <c>aws ARGS --endpoint-url ENDPOINT --only-show-errors</c> with s3rver credentials and no user configuration.</summary>
    public static async Task RunAsync(Uri endpoint, params string[] args)
    {
        var info = new ProcessStartInfo(ExecutablePath)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        info.ArgumentList.Add("--endpoint-url");
        info.ArgumentList.Add(endpoint.ToString().TrimEnd('/'));
        info.ArgumentList.Add("--only-show-errors");
        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("AWS_", StringComparison.Ordinal)).ToList())
            info.Environment.Remove(name);
        info.Environment["AWS_ACCESS_KEY_ID"] = S3rverFixture.AccessKey;
        info.Environment["AWS_SECRET_ACCESS_KEY"] = S3rverFixture.AccessKey;
        info.Environment["AWS_DEFAULT_REGION"] = "us-east-1";
        var noConfig = Path.Combine(Path.GetTempPath(), "highwater-no-aws-config-" + Guid.NewGuid().ToString("N"));
        info.Environment["AWS_CONFIG_FILE"] = noConfig;
        info.Environment["AWS_SHARED_CREDENTIALS_FILE"] = noConfig;

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {ExecutablePath}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
            throw new InvalidOperationException(
                $"aws {string.Join(' ', args)} exited with {process.ExitCode}:{Environment.NewLine}{await stderr}{await stdout}");
    }

    private static string Locate()
    {
        if (File.Exists("/usr/bin/aws")) return "/usr/bin/aws";
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, "aws");
            if (File.Exists(candidate)) return candidate;
        }
        throw new InvalidOperationException("The AWS CLI ('aws') is not installed. Run scripts/install-test-tools.sh from the repository root, then rerun the tests.");
    }
}
