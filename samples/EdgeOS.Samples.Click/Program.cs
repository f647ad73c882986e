using EdgeOS.Samples.Click.Driver;

return ClickDriver.Run(args, Console.In, Console.Out, Console.Error);
