return await IotcEmulator.Cli.RunAsync(args);
