using EdgeOS.Samples.Click.Driver;

// Like Click, stop on SIGINT even when started with it ignored (a background job of a non-interactive shell).
EdgeOS.Samples.Shared.InterruptSignal.StopIgnoring();
return ClickDriver.Run(args, Console.In, Console.Out, Console.Error);
