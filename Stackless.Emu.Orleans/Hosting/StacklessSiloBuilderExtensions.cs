using Microsoft.Extensions.DependencyInjection;

namespace Stackless.Emu.Orleans;

/// <summary>Adds Stackless.Emu tasklets to an Orleans silo.</summary>
public static class StacklessSiloBuilderExtensions
{
    /// <summary>
    /// Runs <see cref="StacklessNodeOptions.SchedulerThreads"/> scheduler threads on this silo for tasklet groups, and
    /// adds the group and distributed channel grains. Register a grain storage named
    /// <see cref="StacklessStorage.ProviderName"/> too (checkpoints and durable channels), and allow your tasklet code's
    /// assembly: <c>o.Pickle.AllowAssemblyOf&lt;MyTasklets&gt;()</c>.
    /// </summary>
    public static ISiloBuilder AddStacklessTasklets(this ISiloBuilder builder, Action<StacklessNodeOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Services.AddOptions<StacklessNodeOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        builder.Services.AddSingleton<TaskletNode>();
        builder.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<TaskletNode>());
        return builder;
    }
}
