using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Text;

namespace Stackless.Emu.Analyzers;

/// <summary>
/// The synchronous forms of the library (the operations that may switch tasklets, for main and hard tasklets) and
/// their asynchronous forms. A method is a synchronous form by its declaring type and name, whatever its overload.
/// </summary>
internal static class SyncForms
{
    private static readonly ImmutableHashSet<string> ChannelForms =
        ImmutableHashSet.Create("Send", "Receive", "SendException", "SendThrow", "SendSequence");

    private static readonly ImmutableHashSet<string> SchedulerForms =
        ImmutableHashSet.Create("Schedule", "ScheduleRemove", "Run", "Sleep", "WaitFor", "BlockingCall", "PreemptionPoint");

    private static readonly ImmutableHashSet<string> TaskletForms =
        ImmutableHashSet.Create("Run", "Switch", "Kill", "Throw", "RaiseException");

    /// <summary>The misuse when <paramref name="invocation"/> calls a synchronous form that would switch; null otherwise.</summary>
    public static Misuse? Match(IInvocationOperation invocation, KnownSymbols symbols)
    {
        var method = invocation.TargetMethod;
        var type = method.ContainingType;
        var isForm = KnownSymbols.Is(type, symbols.Channel) ? ChannelForms.Contains(method.Name)
            : KnownSymbols.Is(type, symbols.Scheduler) ? SchedulerForms.Contains(method.Name)
            : KnownSymbols.Is(type, symbols.Tasklet) && !method.IsStatic && TaskletForms.Contains(method.Name);
        if (!isForm || IsPending(invocation))
        {
            return null;
        }

        var location = invocation.Syntax.GetLocation();
        var operation = CallText.Method(method);
        if (KnownSymbols.Is(type, symbols.Scheduler) && method.Name == "WaitFor")
        {
            var task = invocation.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == 0)?.Value;
            return new Misuse(MisuseKind.SyncForm, location, operation, "await " + (task is null ? "task" : CallText.Source(task, "the task")), Fix(FixProperties.AwaitArgument));
        }

        if (KnownSymbols.Is(type, symbols.Scheduler) && method.Name == "Run")
        {
            // A soft tasklet cannot run a nested scheduler loop; yielding to the one that runs it is what it can do.
            return new Misuse(MisuseKind.SyncForm, location, operation, "await Scheduler.ScheduleAsync()", ImmutableDictionary<string, string?>.Empty);
        }

        var asyncForm = AsyncFormOf(method);
        var properties = asyncForm is null || invocation.Syntax is not InvocationExpressionSyntax { Expression: not MemberBindingExpressionSyntax }
            ? ImmutableDictionary<string, string?>.Empty
            : Fix(FixProperties.ToAsyncForm).Add(FixProperties.AsyncName, asyncForm.Name);
        return new Misuse(MisuseKind.SyncForm, location, operation, "await " + CallText.Call(invocation, method.Name + "Async"), properties);
    }

    /// <summary>The misuse when <paramref name="loop"/> is a synchronous <c>foreach</c> over a channel; null otherwise.</summary>
    public static Misuse? Match(IForEachLoopOperation loop, KnownSymbols symbols)
    {
        if (loop.IsAsynchronous || loop.Syntax is not CommonForEachStatementSyntax statement)
        {
            return null;
        }

        var collection = loop.Collection;
        while (collection is IConversionOperation { IsImplicit: true } conversion)
        {
            collection = conversion.Operand;
        }

        if (!KnownSymbols.IsOrDerives(collection.Type, symbols.Channel))
        {
            return null;
        }

        var head = Location.Create(statement.SyntaxTree, TextSpan.FromBounds(statement.ForEachKeyword.SpanStart, statement.CloseParenToken.Span.End));
        return new Misuse(MisuseKind.SyncForm, head, "foreach over a Channel", "await foreach", Fix(FixProperties.AwaitForeach));
    }

    /// <summary>Kill(pending: true) and Throw(e, pending: true) only make the target runnable: they never switch, so they are allowed anywhere.</summary>
    private static bool IsPending(IInvocationOperation invocation) =>
        invocation.Arguments.Any(a => a.Parameter?.Name == "pending" && a.Value.ConstantValue is { HasValue: true, Value: true });

    /// <summary>
    /// The method named <c>NameAsync</c> on the same type with the same parameter types (and optionally more, all optional,
    /// such as a trailing CancellationToken), if there is one.
    /// </summary>
    private static IMethodSymbol? AsyncFormOf(IMethodSymbol method)
    {
        foreach (var candidate in method.ContainingType.GetMembers(method.Name + "Async").OfType<IMethodSymbol>())
        {
            var comparable = candidate;
            if (candidate.Arity != method.Arity || candidate.IsStatic != method.IsStatic || candidate.Parameters.Length < method.Parameters.Length
                || candidate.Parameters.Skip(method.Parameters.Length).Any(extra => !extra.IsOptional))
            {
                continue;
            }

            if (candidate.Arity > 0)
            {
                comparable = candidate.Construct([.. method.TypeArguments]);
            }

            if (comparable.Parameters.Zip(method.Parameters, (a, b) => SymbolEqualityComparer.Default.Equals(a.Type, b.Type)).All(same => same))
            {
                return candidate;
            }
        }

        return null;
    }

    private static ImmutableDictionary<string, string?> Fix(string kind) =>
        ImmutableDictionary<string, string?>.Empty.Add(FixProperties.Fix, kind);
}
