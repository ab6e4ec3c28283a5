using System.Diagnostics;
using System.Security.Cryptography;

namespace Highwater.Tests.Support;

/// <summary>Runs ./build.sh as a process, as CI and developers do, and captures what it prints.</summary>
public static class BuildScript
{
    public sealed record Result(int ExitCode, string Output)
    {
        public override string ToString() => $"exit {ExitCode}\n{Output}";
    }

    public static Result Run(params string[] args) => Run(environment: null, args);

    /// <summary>
    /// Runs build.sh with extra environment variables (a null value removes one). When any are given, the
    /// AWS and HIGHWATER_S3 settings of the machine running the tests are removed first, and no AWS config
    /// or credentials file is read, so the run sees exactly the S3 settings the test gives.
    /// </summary>
    public static Result Run(IReadOnlyDictionary<string, string?>? environment, params string[] args)
    {
        var start = new ProcessStartInfo("bash", [RepoRoot.Combine("build.sh"), .. args])
        {
            WorkingDirectory = RepoRoot.Path,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["NO_COLOR"] = "1";
        start.Environment.Remove("HIGHWATER_WORK");
        if (environment is not null)
        {
            foreach (var name in start.Environment.Keys
                         .Where(k => k.StartsWith("AWS_", StringComparison.Ordinal) || k.StartsWith("HIGHWATER_S3_", StringComparison.Ordinal))
                         .ToList())
                start.Environment.Remove(name);
            var noConfig = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "highwater-no-aws-config-" + Guid.NewGuid().ToString("N"));
            start.Environment["AWS_CONFIG_FILE"] = noConfig;
            start.Environment["AWS_SHARED_CREDENTIALS_FILE"] = noConfig;
            start.Environment["AWS_EC2_METADATA_DISABLED"] = "true";
            foreach (var (name, value) in environment)
            {
                if (value is null) start.Environment.Remove(name);
                else start.Environment[name] = value;
            }
        }
        using var process = Process.Start(start)!;
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"build.sh {string.Join(" ", args)} did not finish in 5 minutes:\n{output}");
        }
        process.WaitForExit();
        return new Result(process.ExitCode, output.ToString());
    }

    /// <summary>
    /// Starts ./build.sh in a process group of its own (setsid), so a test can SIGKILL the whole group —
    /// bash, Cake and the highwater CLI — as a CI runner or the OOM killer would.
    /// </summary>
    public static Process StartInOwnProcessGroup(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("setsid", ["bash", RepoRoot.Combine("build.sh"), .. args])
        {
            WorkingDirectory = RepoRoot.Path,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["NO_COLOR"] = "1";
        start.Environment.Remove("HIGHWATER_WORK");
        foreach (var (name, value) in environment) start.Environment[name] = value;
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>Sends SIGKILL to every process of the group led by <paramref name="leader"/>.</summary>
    public static void KillProcessGroup(Process leader)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-KILL", "--", $"-{leader.Id}"]))!;
        kill.WaitForExit();
        if (kill.ExitCode != 0) throw new InvalidOperationException($"kill -KILL -- -{leader.Id} failed with exit code {kill.ExitCode}");
        leader.WaitForExit();
    }

    /// <summary>Every file under a folder with its SHA-256, to prove a run changed nothing.</summary>
    public static SortedDictionary<string, string> Fingerprint(string folder)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (!Directory.Exists(folder)) return result;
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
            result[Path.GetRelativePath(folder, file)] = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(file)));
        return result;
    }
}
