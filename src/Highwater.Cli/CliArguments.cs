using Highwater.Pipeline;
using Highwater.Pipeline.Core.Storage;

namespace Highwater.Cli;

/// <summary>
/// The command line: a command followed by <c>--name=value</c> or <c>--name value</c> options.
/// Every option can also come from an environment variable (HIGHWATER_NAME, dashes as underscores); the command line wins.
/// </summary>
public sealed class CliArguments
{
    public static readonly IReadOnlyDictionary<string, string> Options = new Dictionary<string, string>(S3CliOptions.Options)
    {
        ["landing"] = "raw events root holding events/YYYY-MM-DD/*.json (folder or s3://bucket/prefix)",
        ["users"] = "user dimension: Parquet files (folder or s3://bucket/prefix)",
        ["warehouse"] = "warehouse root: gold/, quarantine/ and the pipeline state (folder or s3://bucket/prefix)",
        ["work"] = "local work area for the batch between stages",
        ["contracts"] = "folder of YAML data contracts",
        ["verbosity"] = "quiet | minimal | normal | verbose | diagnostic",
        ["format"] = "text | json (status, plan)",
        ["exit-code-when-idle"] = "exit with this code instead of 0 when there is nothing to do (discover, run, plan, status); 0 or 7-125, e.g. 10",
        ["from"] = "discover: backfill from this date folder (YYYY-MM-DD, inclusive); needs --to",
        ["to"] = "discover: backfill up to this date folder (YYYY-MM-DD, inclusive); needs --from",
        ["full-refresh"] = "discover: rebuild the whole mart from every landed file (true | false; --full-refresh alone means true)",
        ["lease-minutes"] = "how long the warehouse lease taken by publish lasts before another run may take it over (default 15)",
        ["mart-integers"] = "delta | plain: how the mart's INTEGER columns (user_id, qty) are written (default delta: DELTA_BINARY_PACKED; plain for readers without Parquet's DELTA encodings)",
        ["stage"] = "pending: the one stage to ask about (extract | transform | gate | publish); prints pending or done (without it: a line per stage)",
        ["lookback-days"] = "how many date folders before the newest processed one Discover lists again for late files (default 7)",
    };

    /// <summary>Options that may be given without a value, meaning true.</summary>
    private static readonly HashSet<string> Flags = ["full-refresh"];

    private readonly Dictionary<string, string> _values;

    private CliArguments(string command, Dictionary<string, string> values)
    {
        Command = command;
        _values = values;
    }

    public string Command { get; }

    public static CliArguments Parse(string[] args, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        if (args.Length == 0 || args[0].StartsWith('-'))
            throw new ConfigurationException("No command given. " + Usage);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 1; i < args.Length; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
                throw new ConfigurationException($"Unexpected argument '{UserInfoMask.Mask(arg)}'. Options are written --name=value.");
            var eq = arg.IndexOf('=');
            string name, value;
            if (eq > 0)
            {
                name = arg[2..eq];
                value = arg[(eq + 1)..];
            }
            else if (Flags.Contains(arg[2..]))
            {
                name = arg[2..];
                value = "true";
            }
            else
            {
                name = arg[2..];
                if (i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                    throw new ConfigurationException($"--{name} needs a value.");
                value = args[++i];
            }
            if (!Options.ContainsKey(name))
                throw new ConfigurationException($"Unknown option --{name}. Options: {string.Join(", ", Options.Keys.Select(k => "--" + k))}.");
            values[name] = value;
        }
        foreach (var name in Options.Keys)
        {
            if (values.ContainsKey(name)) continue;
            var fromEnv = environment(EnvironmentName(name));
            if (!string.IsNullOrEmpty(fromEnv)) values[name] = fromEnv;
        }
        return new CliArguments(args[0], values);
    }

    /// <summary>The environment variable an option can come from: --s3-endpoint -> HIGHWATER_S3_ENDPOINT.</summary>
    public static string EnvironmentName(string option) => "HIGHWATER_" + option.ToUpperInvariant().Replace('-', '_');

    public string Get(string name, string fallback) => _values.TryGetValue(name, out var v) ? v : fallback;

    public string? Find(string name) => _values.TryGetValue(name, out var v) ? v : null;

    public int GetInt(string name, int fallback, int min, int max)
    {
        if (Find(name) is not { } text) return fallback;
        if (!int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value) || value < min || value > max)
            throw new ConfigurationException($"--{name}={text}: expected a whole number from {min} to {max}.");
        return value;
    }

    public static string Usage =>
        "Usage: highwater <discover|extract|transform|gate|publish|run|status|plan|pending|validate-contracts|clean> [--option=value ...]\n" +
        string.Join("\n", Options.Select(o => $"  --{o.Key,-20} {o.Value}"));
}
