using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Highwater.Benchmarks;

/// <summary>One measured run of a process tree.</summary>
public sealed record Measurement(double WallSeconds, double UserSeconds, double SysSeconds, long MaxRssKb, int ExitCode)
{
    public double CpuSeconds => UserSeconds + SysSeconds;
}

/// <summary>
/// Measures a command as its own process tree. The benchmark starts itself with the <c>measure</c> verb, which
/// starts the command, waits for it, and reads <c>getrusage(RUSAGE_CHILDREN)</c>: the user and system CPU of
/// every waited-for descendant (build.sh, Cake, each highwater stage process) and the peak resident set of the
/// largest of them. The measuring process has no other children, so nothing else is counted, and its own memory
/// is not included. Wall time is taken around start and exit.
/// </summary>
public static class ChildMeasure
{
    [StructLayout(LayoutKind.Sequential)]
    private struct TimeVal { public long Sec; public long Usec; }

    [StructLayout(LayoutKind.Sequential)]
    private struct RUsage
    {
        public TimeVal UTime;
        public TimeVal STime;
        public long MaxRss; // kilobytes on Linux
        public long IxRss, IdRss, IsRss, MinFlt, MajFlt, NSwap, InBlock, OuBlock, MsgSnd, MsgRcv, NSignals, NVCsw, NIvCsw;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int getrusage(int who, out RUsage usage);

    private const int RusageChildren = -1;

    /// <summary>The <c>measure</c> verb: runs argv[0] with the rest, writes the measurement as JSON to <paramref name="resultFile"/>.</summary>
    public static int RunVerb(string resultFile, string[] command)
    {
        var start = new ProcessStartInfo(command[0]) { UseShellExecute = false };
        foreach (var a in command.Skip(1)) start.ArgumentList.Add(a);
        var sw = Stopwatch.StartNew();
        using var p = Process.Start(start)!;
        p.WaitForExit();
        var wall = sw.Elapsed.TotalSeconds;
        if (getrusage(RusageChildren, out var u) != 0) throw new InvalidOperationException($"getrusage failed: {Marshal.GetLastWin32Error()}");
        var m = new Measurement(wall, u.UTime.Sec + u.UTime.Usec / 1e6, u.STime.Sec + u.STime.Usec / 1e6, u.MaxRss, p.ExitCode);
        File.WriteAllText(resultFile, JsonSerializer.Serialize(m));
        return p.ExitCode;
    }

    /// <summary>Runs a command under the <c>measure</c> verb of this very program; its output goes to <paramref name="log"/>.</summary>
    public static Measurement Measure(string log, string workingDirectory, IReadOnlyList<string> command, IDictionary<string, string>? env = null)
    {
        var resultFile = Path.GetTempFileName();
        try
        {
            var start = SelfStartInfo(["measure", resultFile, "--", .. command]);
            start.WorkingDirectory = workingDirectory;
            start.RedirectStandardOutput = true;
            start.RedirectStandardError = true;
            if (env is not null) foreach (var (k, v) in env) start.Environment[k] = v;
            using var p = Process.Start(start)!;
            using var output = new StreamWriter(log, append: true);
            output.WriteLine($"$ {string.Join(" ", command)}");
            var gate = new object();
            p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (gate) output.WriteLine(e.Data); };
            p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (gate) output.WriteLine(e.Data); };
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            p.WaitForExit();
            var m = JsonSerializer.Deserialize<Measurement>(File.ReadAllText(resultFile))!;
            if (m.ExitCode != 0)
                throw new InvalidOperationException($"{string.Join(" ", command)} exited with {m.ExitCode}; see {log}");
            return m;
        }
        finally
        {
            File.Delete(resultFile);
        }
    }

    /// <summary>A start info that runs this program again (as an apphost, or via dotnet with the dll).</summary>
    public static ProcessStartInfo SelfStartInfo(IEnumerable<string> args)
    {
        var self = Environment.ProcessPath!;
        var start = new ProcessStartInfo(self) { UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
            start.ArgumentList.Add(typeof(ChildMeasure).Assembly.Location);
        foreach (var a in args) start.ArgumentList.Add(a);
        return start;
    }
}
