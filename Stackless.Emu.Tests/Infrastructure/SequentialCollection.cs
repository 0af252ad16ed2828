namespace Stackless.Emu.Tests.Infrastructure;

/// <summary>Tests that measure process-wide quantities (thread counts) run alone, after the parallel ones.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SequentialCollection
{
    public const string Name = "Sequential (process-wide measurements)";
}
