using System.Runtime.InteropServices;
using Highwater.Cli;

// SIGTERM (a cancelled CI job) and SIGINT (Ctrl+C) ask the run to stop: the stages see the token cancelled, stop at
// their next safe point, release the warehouse lease and exit with ExitCodes.Stopped. A second signal ends the process at once.
using var stop = new CancellationTokenSource();
void OnSignal(PosixSignalContext signal)
{
    if (stop.IsCancellationRequested) return; // the default action: terminate now
    signal.Cancel = true;
    Console.Error.WriteLine($"highwater: {signal.Signal} received: stopping at the next safe point (send it again to end at once)");
    stop.Cancel();
}
using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
return await HighwaterCommand.RunAsync(args, Console.Out, Console.Error, stop.Token);
