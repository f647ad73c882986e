// The command-line driver is written on the runtime branch; until then the program only names itself.
Console.Error.WriteLine("click: the driver is being built (EdgeOS.Samples.Click)");
return 1;
