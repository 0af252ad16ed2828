using Microsoft.CodeAnalysis;

namespace Stackless.Emu.Analyzers;

/// <summary>
/// The types the analyzers match, resolved once per compilation by full metadata name (never by overload lists, which
/// the library may extend). A compilation without Stackless.Emu gets no instance, so the analyzers cost it nothing.
/// </summary>
internal sealed class KnownSymbols
{
    private KnownSymbols(Compilation compilation, INamedTypeSymbol tasklet)
    {
        Tasklet = tasklet;
        Channel = compilation.GetTypeByMetadataName("Stackless.Emu.Channel`1");
        Scheduler = compilation.GetTypeByMetadataName("Stackless.Emu.Scheduler");
        SchedulerThread = compilation.GetTypeByMetadataName("Stackless.Emu.SchedulerThread");
        TaskletFrame = compilation.GetTypeByMetadataName("Stackless.Emu.TaskletFrame");
        TaskletFrameOfT = compilation.GetTypeByMetadataName("Stackless.Emu.TaskletFrame`1");
        SwitchAwaitable = compilation.GetTypeByMetadataName("Stackless.Emu.SwitchAwaitable");
        ReceiveAwaitable = compilation.GetTypeByMetadataName("Stackless.Emu.ReceiveAwaitable`1");
        Task = compilation.GetTypeByMetadataName("System.Threading.Tasks.Task");
        TaskOfT = compilation.GetTypeByMetadataName("System.Threading.Tasks.Task`1");
        ValueTaskOfT = compilation.GetTypeByMetadataName("System.Threading.Tasks.ValueTask`1");
        TaskScheduler = compilation.GetTypeByMetadataName("System.Threading.Tasks.TaskScheduler");
        JoinableTaskFactory = compilation.GetTypeByMetadataName("Microsoft.VisualStudio.Threading.JoinableTaskFactory");
        JoinableTask = compilation.GetTypeByMetadataName("Microsoft.VisualStudio.Threading.JoinableTask");
        AsyncContext = compilation.GetTypeByMetadataName("Nito.AsyncEx.AsyncContext");
    }

    public INamedTypeSymbol Tasklet { get; }

    public INamedTypeSymbol? Channel { get; }

    public INamedTypeSymbol? Scheduler { get; }

    public INamedTypeSymbol? SchedulerThread { get; }

    public INamedTypeSymbol? TaskletFrame { get; }

    public INamedTypeSymbol? TaskletFrameOfT { get; }

    public INamedTypeSymbol? SwitchAwaitable { get; }

    public INamedTypeSymbol? ReceiveAwaitable { get; }

    public INamedTypeSymbol? Task { get; }

    public INamedTypeSymbol? TaskOfT { get; }

    public INamedTypeSymbol? ValueTaskOfT { get; }

    public INamedTypeSymbol? TaskScheduler { get; }

    public INamedTypeSymbol? JoinableTaskFactory { get; }

    public INamedTypeSymbol? JoinableTask { get; }

    public INamedTypeSymbol? AsyncContext { get; }

    /// <summary>The symbols of <paramref name="compilation"/>, or null when it does not reference Stackless.Emu.</summary>
    public static KnownSymbols? Create(Compilation compilation)
    {
        var tasklet = compilation.GetTypeByMetadataName("Stackless.Emu.Tasklet");
        return tasklet is null ? null : new KnownSymbols(compilation, tasklet);
    }

    /// <summary>Whether <paramref name="type"/> is <paramref name="expected"/> or a construction of it.</summary>
    public static bool Is(ITypeSymbol? type, INamedTypeSymbol? expected) =>
        type is not null && expected is not null && SymbolEqualityComparer.Default.Equals(type.OriginalDefinition, expected);

    /// <summary>Whether <paramref name="type"/> is <paramref name="expected"/>, a construction of it, or derives from one.</summary>
    public static bool IsOrDerives(ITypeSymbol? type, INamedTypeSymbol? expected)
    {
        for (var t = type; t is not null; t = t.BaseType)
        {
            if (Is(t, expected))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether <paramref name="method"/> returns TaskletFrame or TaskletFrame&lt;T&gt;.</summary>
    public bool ReturnsTaskletFrame(IMethodSymbol method) =>
        Is(method.ReturnType, TaskletFrame) || Is(method.ReturnType, TaskletFrameOfT);
}
