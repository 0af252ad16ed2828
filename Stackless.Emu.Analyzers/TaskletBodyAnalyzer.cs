using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Stackless.Emu.Analyzers;

/// <summary>
/// Misuses inside soft tasklet bodies: synchronous forms (SLE1001), leaving the scheduler thread (SLE1002) and
/// sync-over-async (SLE1003), reported at once in the body itself; SLE1101 and SLE1103 for the same misuses in async
/// methods a body calls, reported when the compilation ends (see <see cref="TaskletCallGraph"/>).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class TaskletBodyAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
    [
        Rules.SyncFormInSoftTasklet,
        Rules.LeavesSchedulerThread,
        Rules.SyncOverAsyncInSoftTasklet,
        Rules.SyncFormInCalledAsyncMethod,
        Rules.SyncOverAsyncInCalledAsyncMethod,
    ];

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            if (KnownSymbols.Create(start.Compilation) is not { } symbols)
            {
                return;
            }

            var graph = new TaskletCallGraph(symbols, start.Compilation.Assembly);
            start.RegisterOperationAction(c => AnalyzeInvocation(c, symbols, graph), OperationKind.Invocation);
            start.RegisterOperationAction(
                c => Check(c, symbols, graph, SyncOverAsync.Match((IPropertyReferenceOperation)c.Operation, symbols)),
                OperationKind.PropertyReference);
            start.RegisterOperationAction(
                c => Check(c, symbols, graph, c.Operation is IForEachLoopOperation loop ? SyncForms.Match(loop, symbols) : null),
                OperationKind.Loop);
            start.RegisterOperationAction(
                c => Check(c, symbols, graph, SchedulerEscapes.Match((IAwaitOperation)c.Operation, symbols)),
                OperationKind.Await);
            start.RegisterOperationAction(c => AnalyzeMethodReference(c, symbols, graph), OperationKind.MethodReference);
            start.RegisterCompilationEndAction(end => graph.Report(end.ReportDiagnostic));
        });
    }

    private static void AnalyzeInvocation(OperationAnalysisContext context, KnownSymbols symbols, TaskletCallGraph graph)
    {
        var invocation = (IInvocationOperation)context.Operation;
        if (graph.SourceAsyncMethod(invocation.TargetMethod) is { } callee &&
            EnclosingFunction.Of(invocation, context.ContainingSymbol, symbols) is { } function)
        {
            if (!function.IsLambda)
            {
                graph.AddCall(function.Symbol, callee);
            }
            else if (function.SoftBody is { } body)
            {
                graph.AddEntry(callee, body);
            }
        }

        Check(
            context,
            symbols,
            graph,
            SyncForms.Match(invocation, symbols) ?? SchedulerEscapes.Match(invocation) ?? SyncOverAsync.Match(invocation, symbols));
    }

    /// <summary>A method passed by name to a spawning API (<c>Tasklet.Spawn(ProduceAsync)</c>) is a tasklet body.</summary>
    private static void AnalyzeMethodReference(OperationAnalysisContext context, KnownSymbols symbols, TaskletCallGraph graph)
    {
        var reference = (IMethodReferenceOperation)context.Operation;
        var method = (reference.Method.ReducedFrom ?? reference.Method).OriginalDefinition;
        if (SymbolEqualityComparer.Default.Equals(method.ContainingAssembly, context.Compilation.Assembly) &&
            EnclosingFunction.SpawnedBy(reference, symbols) is { } origin)
        {
            graph.AddEntry(method.PartialImplementationPart ?? method, origin);
        }
    }

    /// <summary>Reports <paramref name="misuse"/> if it is in an async tasklet body; keeps it for the call graph if it is in another async method.</summary>
    private static void Check(OperationAnalysisContext context, KnownSymbols symbols, TaskletCallGraph graph, Misuse? misuse)
    {
        if (misuse is null || EnclosingFunction.Of(context.Operation, context.ContainingSymbol, symbols) is not { } function || !function.Symbol.IsAsync)
        {
            return;
        }

        if (function.IsAsyncSoftBody)
        {
            context.ReportDiagnostic(misuse.InBody());
        }
        else if (!function.IsLambda)
        {
            graph.AddMisuse(function.Symbol, misuse);
        }
    }
}
