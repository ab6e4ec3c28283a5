namespace Highwater.Contracts;
public sealed class ContractDefinitionException(string m) : Exception(m);
public sealed class GateFailedException(string m) : Exception(m);
