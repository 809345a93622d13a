namespace CrystalActors.Dft.Tests.Execution;

/// <summary>pw.x tests share the machine's cores: run them one at a time.</summary>
[CollectionDefinition("pw.x", DisableParallelization = true)]
public sealed class PwxCollection;
