using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace Stackless.Emu.Analyzers;

/// <summary>
/// Waits that block the calling thread until a task completes: <c>Task.Wait</c>/<c>WaitAll</c>/<c>WaitAny</c>,
/// <c>.Result</c>, <c>GetAwaiter().GetResult()</c> on a task's awaiter, <c>JoinableTaskFactory.Run</c>,
/// <c>JoinableTask.Join</c> and Nito's <c>AsyncContext.Run</c>.
/// </summary>
internal static class SyncOverAsync
{
    /// <summary>The awaiters whose GetResult blocks until the task completes (System.Runtime.CompilerServices).</summary>
    private static readonly ImmutableHashSet<string> TaskAwaiters =
        ImmutableHashSet.Create("TaskAwaiter", "ValueTaskAwaiter", "ConfiguredTaskAwaiter", "ConfiguredValueTaskAwaiter");

    /// <summary>The misuse when <paramref name="invocation"/> waits for a task synchronously; null otherwise.</summary>
    public static Misuse? Match(IInvocationOperation invocation, KnownSymbols symbols)
    {
        var method = invocation.TargetMethod;
        var type = method.ContainingType;
        var blocks = method.Name switch
        {
            "Wait" => KnownSymbols.Is(type, symbols.Task) && !method.IsStatic,
            "WaitAll" or "WaitAny" => KnownSymbols.Is(type, symbols.Task) && method.IsStatic,
            "GetResult" => TaskAwaiters.Contains(type.Name) && type.ContainingNamespace?.ToDisplayString() == "System.Runtime.CompilerServices",
            "Run" => KnownSymbols.Is(type, symbols.JoinableTaskFactory) || KnownSymbols.Is(type, symbols.AsyncContext),
            "Join" => KnownSymbols.Is(type, symbols.JoinableTask),
            _ => false,
        };
        if (!blocks)
        {
            return null;
        }

        var operation = method.Name == "GetResult" && invocation.Instance is IInvocationOperation { TargetMethod.Name: "GetAwaiter" }
            ? "GetAwaiter().GetResult()"
            : CallText.Method(method);
        return new Misuse(MisuseKind.SyncOverAsync, invocation.Syntax.GetLocation(), operation, null, ImmutableDictionary<string, string?>.Empty);
    }

    /// <summary>The misuse when <paramref name="reference"/> reads <c>Task&lt;T&gt;.Result</c> or <c>ValueTask&lt;T&gt;.Result</c>; null otherwise.</summary>
    public static Misuse? Match(IPropertyReferenceOperation reference, KnownSymbols symbols)
    {
        var property = reference.Property;
        if (property.Name != "Result" || !(KnownSymbols.Is(property.ContainingType, symbols.TaskOfT) || KnownSymbols.Is(property.ContainingType, symbols.ValueTaskOfT)))
        {
            return null;
        }

        return new Misuse(MisuseKind.SyncOverAsync, reference.Syntax.GetLocation(), property.ContainingType.Name + "<T>.Result", null, ImmutableDictionary<string, string?>.Empty);
    }
}
