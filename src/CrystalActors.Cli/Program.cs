// crystal-actors: the command tree and its error policy live in Cli.cs, callable in-process by tests.
return await CrystalActors.Cli.Cli.RunAsync(args);
