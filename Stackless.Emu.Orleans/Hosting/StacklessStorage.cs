namespace Stackless.Emu.Orleans;

/// <summary>The grain storage Stackless.Emu.Orleans uses for group checkpoints and durable channels.</summary>
public static class StacklessStorage
{
    /// <summary>
    /// The name of the grain storage provider to register on every silo, e.g.
    /// <c>siloBuilder.AddMemoryGrainStorage(StacklessStorage.ProviderName)</c> for tests, a durable provider in production.
    /// </summary>
    public const string ProviderName = "stackless";
}
