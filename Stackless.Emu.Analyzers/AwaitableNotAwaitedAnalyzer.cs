using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Stackless.Emu.Analyzers;

/// <summary>
/// SLE1004: a <c>SwitchAwaitable</c>, <c>TempValAwaitable</c> or <c>ReceiveAwaitable&lt;T&gt;</c> (what the Async forms return) that is never
/// awaited: the call is a statement of its own, is assigned to <c>_</c>, or is stored in a local that is never awaited
/// (nor passed on, returned or stored elsewhere). Anywhere, not only in tasklet bodies.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class AwaitableNotAwaitedAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = [Rules.AwaitableNotAwaited];

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var switchAwaitable = start.Compilation.GetTypeByMetadataName("Stackless.Emu.SwitchAwaitable");
            var receiveAwaitable = start.Compilation.GetTypeByMetadataName("Stackless.Emu.ReceiveAwaitable`1");
            var tempValAwaitable = start.Compilation.GetTypeByMetadataName("Stackless.Emu.TempValAwaitable");
            if (switchAwaitable is null && receiveAwaitable is null && tempValAwaitable is null)
            {
                return;
            }

            start.RegisterOperationAction(
                c =>
                {
                    var invocation = (IInvocationOperation)c.Operation;
                    // GetAwaiter returns the awaitable itself (the await pattern): code that calls it awaits by hand.
                    if ((KnownSymbols.Is(invocation.Type, switchAwaitable) || KnownSymbols.Is(invocation.Type, receiveAwaitable) ||
                         KnownSymbols.Is(invocation.Type, tempValAwaitable)) &&
                        invocation.TargetMethod.Name != "GetAwaiter" &&
                        IsDropped(invocation))
                    {
                        var name = invocation.Type!.OriginalDefinition.Name + (invocation.Type is INamedTypeSymbol { IsGenericType: true } ? "<T>" : string.Empty);
                        c.ReportDiagnostic(Diagnostic.Create(
                            Rules.AwaitableNotAwaited,
                            invocation.Syntax.GetLocation(),
                            name,
                            CallText.Callee(invocation, invocation.TargetMethod.Name)));
                    }
                },
                OperationKind.Invocation);
        });
    }

    /// <summary>Whether the awaitable <paramref name="invocation"/> returns can never be awaited.</summary>
    private static bool IsDropped(IInvocationOperation invocation) => invocation.Parent switch
    {
        IExpressionStatementOperation => true,
        ISimpleAssignmentOperation { Target: IDiscardOperation } => true,
        ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } assignment when assignment.Value == invocation => NeverConsumed(target.Local, invocation),
        IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator } => NeverConsumed(declarator.Symbol, invocation),
        _ => false,
    };

    /// <summary>
    /// Whether no read of <paramref name="local"/> awaits it or lets it escape; a read that only inspects it
    /// (<c>.IsCompleted</c>) does not count. Walks the function once, and only for an awaitable kept in a local.
    /// </summary>
    private static bool NeverConsumed(ILocalSymbol local, IOperation within)
    {
        var root = within;
        while (root.Parent is not null)
        {
            root = root.Parent;
        }

        foreach (var reference in root.Descendants().OfType<ILocalReferenceOperation>())
        {
            if (!SymbolEqualityComparer.Default.Equals(reference.Local, local))
            {
                continue;
            }

            var written = reference.Parent is ISimpleAssignmentOperation assignment && assignment.Target == reference;
            var inspected = reference.Parent is IPropertyReferenceOperation property && property.Instance == reference;
            if (!written && !inspected)
            {
                return false;
            }
        }

        return true;
    }
}
