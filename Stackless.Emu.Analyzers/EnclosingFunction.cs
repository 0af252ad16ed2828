using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace Stackless.Emu.Analyzers;

/// <summary>
/// The innermost function an operation runs in (a lambda, a local function or the member itself), and whether that
/// function is a soft tasklet body: an async lambda passed to a spawning API, or an <c>async TaskletFrame</c> method.
/// Code in a nested lambda belongs to the lambda, not to the body around it (it may run later, or in a hard tasklet).
/// </summary>
internal sealed class EnclosingFunction
{
    private EnclosingFunction(IMethodSymbol symbol, bool isLambda, string? softBody)
    {
        Symbol = symbol;
        IsLambda = isLambda;
        SoftBody = softBody;
    }

    /// <summary>The function (for a lambda, its anonymous method symbol).</summary>
    public IMethodSymbol Symbol { get; }

    /// <summary>True for a lambda or anonymous method, which nothing can call by name.</summary>
    public bool IsLambda { get; }

    /// <summary>
    /// Where the function was made a soft tasklet body, e.g. "Tasklet.Spawn body at Program.cs:12"; null when the
    /// function itself is not one (it may still be reached from one, see <see cref="TaskletCallGraph"/>).
    /// </summary>
    public string? SoftBody { get; }

    /// <summary>True when a misuse here is reported at once: an async function that is a soft tasklet body.</summary>
    public bool IsAsyncSoftBody => SoftBody is not null && Symbol.IsAsync;

    /// <summary>The function <paramref name="operation"/> runs in, or null for code outside any method (a field initializer).</summary>
    public static EnclosingFunction? Of(IOperation operation, ISymbol containingSymbol, KnownSymbols symbols)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            switch (current)
            {
                case IAnonymousFunctionOperation lambda:
                    return new EnclosingFunction(lambda.Symbol, isLambda: true, SpawnedBy(lambda, symbols, " body"));
                case ILocalFunctionOperation local:
                    return OfMethod(local.Symbol, symbols);
            }
        }

        return containingSymbol is IMethodSymbol method ? OfMethod(method, symbols) : null;
    }

    /// <summary>
    /// When <paramref name="function"/> (a lambda or a method reference) is an argument of a spawning API, that API,
    /// <paramref name="what"/> and the place, e.g. "Tasklet.Spawn body at Program.cs:12"; otherwise null.
    /// </summary>
    public static string? SpawnedBy(IOperation function, KnownSymbols symbols, string what = "")
    {
        var parent = function.Parent;
        while (parent is IDelegateCreationOperation or IConversionOperation)
        {
            parent = parent.Parent;
        }

        if (parent is not IArgumentOperation argument)
        {
            return null;
        }

        var api = argument.Parent switch
        {
            IInvocationOperation invocation => SpawningApi(invocation.TargetMethod, symbols),
            IObjectCreationOperation creation when creation.Constructor is { } constructor => SpawningApi(constructor, symbols),
            _ => null,
        };
        return api is null ? null : api + what + " at " + Place(argument.Parent!.Syntax.GetLocation());
    }

    /// <summary>"Program.cs:12".</summary>
    public static string Place(Location location)
    {
        var span = location.GetLineSpan();
        return System.IO.Path.GetFileName(span.Path) + ":" + (span.StartLinePosition.Line + 1);
    }

    private static EnclosingFunction OfMethod(IMethodSymbol method, KnownSymbols symbols) =>
        new(method, isLambda: false, method.IsAsync && symbols.ReturnsTaskletFrame(method) ? "async TaskletFrame " + method.Name : null);

    /// <summary>The APIs whose delegate argument runs as a soft tasklet (matched by name, so new overloads count too).</summary>
    private static string? SpawningApi(IMethodSymbol method, KnownSymbols symbols)
    {
        var type = method.ContainingType;
        if (KnownSymbols.Is(type, symbols.Tasklet))
        {
            return method.MethodKind == MethodKind.Constructor
                ? "new Tasklet"
                : method.Name is "Spawn" or "Bind" or "CreateFrame" or "SpawnFrame" ? "Tasklet." + method.Name : null;
        }

        return KnownSymbols.Is(type, symbols.SchedulerThread) && method.Name is "Post" or "SpawnAsync"
            ? "SchedulerThread." + method.Name
            : null;
    }
}
