using Highwater;
using Highwater.Cli;
using Highwater.Storage;

return await HighwaterCommand.RunAsync(args, Console.Out, Console.Error);
