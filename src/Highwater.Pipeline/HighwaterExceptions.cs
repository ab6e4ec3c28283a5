namespace Highwater.Pipeline;

/// <summary>The run was configured wrongly: a bad option, a missing folder, an unsupported location.</summary>
public sealed class ConfigurationException : Exception
{
    public ConfigurationException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>Input data cannot be processed as a whole (for example an unreadable user dimension).</summary>
public sealed class DataException : Exception
{
    public DataException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>The pipeline's own state is inconsistent or another run holds it.</summary>
public sealed class PipelineStateException : Exception
{
    public PipelineStateException(string message, Exception? inner = null) : base(message, inner) { }
}
