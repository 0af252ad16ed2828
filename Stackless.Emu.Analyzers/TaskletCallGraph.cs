using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace Stackless.Emu.Analyzers;

/// <summary>
/// Which async methods of the compilation run inside a soft tasklet because a tasklet body calls them, directly or
/// through other async methods (at most <see cref="MaxDepth"/> calls deep). Filled while the operations are analyzed,
/// each call site once; solved once at the end of the compilation, with one breadth-first walk from every body at once.
/// Only direct calls to source methods count: not delegates, virtual dispatch or other assemblies.
/// </summary>
internal sealed class TaskletCallGraph
{
    /// <summary>How many calls deep a tasklet body's async callees are followed.</summary>
    public const int MaxDepth = 8;

    private readonly KnownSymbols _symbols;
    private readonly IAssemblySymbol _assembly;

    /// <summary>Caller → the source async methods it calls.</summary>
    private readonly ConcurrentDictionary<IMethodSymbol, ConcurrentQueue<IMethodSymbol>> _calls = new(SymbolEqualityComparer.Default);

    /// <summary>Methods that start a tasklet body's chain, with the path that names how: a method passed to Tasklet.Spawn, a method a body lambda calls.</summary>
    private readonly ConcurrentQueue<(IMethodSymbol Method, string Path)> _entries = new();

    /// <summary>Misuses in async methods that are not tasklet bodies themselves; reported if a body reaches the method.</summary>
    private readonly ConcurrentDictionary<IMethodSymbol, ConcurrentQueue<Misuse>> _misuses = new(SymbolEqualityComparer.Default);

    public TaskletCallGraph(KnownSymbols symbols, IAssemblySymbol assembly)
    {
        _symbols = symbols;
        _assembly = assembly;
    }

    /// <summary>The method <paramref name="target"/> really runs when it is an async method of this compilation; null otherwise.</summary>
    public IMethodSymbol? SourceAsyncMethod(IMethodSymbol target)
    {
        var method = (target.ReducedFrom ?? target).OriginalDefinition;
        method = method.PartialImplementationPart ?? method;
        return method.IsAsync && SymbolEqualityComparer.Default.Equals(method.ContainingAssembly, _assembly) ? method : null;
    }

    /// <summary>Records that <paramref name="caller"/> (a method or local function) calls <paramref name="callee"/>.</summary>
    public void AddCall(IMethodSymbol caller, IMethodSymbol callee) =>
        _calls.GetOrAdd(caller.OriginalDefinition, static _ => new ConcurrentQueue<IMethodSymbol>()).Enqueue(callee);

    /// <summary>Records that <paramref name="method"/> runs as (or right inside) a tasklet body; <paramref name="origin"/> says where.</summary>
    public void AddEntry(IMethodSymbol method, string origin) => _entries.Enqueue((method, origin + " → " + method.Name));

    /// <summary>Records a misuse in <paramref name="function"/>, an async method not known to be a tasklet body.</summary>
    public void AddMisuse(IMethodSymbol function, Misuse misuse) =>
        _misuses.GetOrAdd(function.OriginalDefinition, static _ => new ConcurrentQueue<Misuse>()).Enqueue(misuse);

    /// <summary>Reports the recorded misuses of every method a tasklet body reaches (SLE11xx).</summary>
    public void Report(Action<Diagnostic> report)
    {
        var reached = new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default);
        var frontier = new List<(IMethodSymbol Method, string Path)>();

        // Sorted, so that a method reached from several bodies names the same path in every build.
        foreach (var entry in _entries.OrderBy(e => e.Path, StringComparer.Ordinal))
        {
            if (reached.Add(entry.Method))
            {
                frontier.Add(entry);
            }
        }

        // async TaskletFrame methods are bodies themselves: their own misuses were reported directly, their callees start here.
        foreach (var caller in _calls.Keys)
        {
            if (caller.IsAsync && _symbols.ReturnsTaskletFrame(caller) && reached.Add(caller))
            {
                frontier.Add((caller, "async TaskletFrame " + caller.Name));
            }
        }

        for (var depth = 0; frontier.Count > 0; depth++)
        {
            var next = new List<(IMethodSymbol Method, string Path)>();
            foreach (var (method, path) in frontier.OrderBy(f => f.Path, StringComparer.Ordinal))
            {
                if (_misuses.TryGetValue(method, out var misuses))
                {
                    foreach (var misuse in misuses)
                    {
                        if (misuse.InCalledMethod(method.Name, path) is { } diagnostic)
                        {
                            report(diagnostic);
                        }
                    }
                }

                if (depth < MaxDepth && _calls.TryGetValue(method, out var callees))
                {
                    foreach (var callee in callees)
                    {
                        if (reached.Add(callee))
                        {
                            next.Add((callee, path + " → " + callee.Name));
                        }
                    }
                }
            }

            frontier = next;
        }
    }
}
