using System;
using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace Stackless.Emu.Analyzers.CodeFixes;

/// <summary>
/// Fixes SLE1001 and SLE1101 by writing the asynchronous form: <c>x.Send(v)</c> → <c>await x.SendAsync(v)</c>,
/// <c>Scheduler.WaitFor(task)</c> → <c>await task</c>, <c>foreach</c> over a channel → <c>await foreach</c>. The analyzer
/// says which rewrite applies (<see cref="FixProperties"/>); a synchronous form without an asynchronous twin gets none.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(SyncFormCodeFixProvider))]
[Shared]
public sealed class SyncFormCodeFixProvider : CodeFixProvider
{
    /// <summary>One key for every rewrite, so that "fix all" turns every synchronous form into its async form at once.</summary>
    private const string EquivalenceKey = "Stackless.Emu.UseAsyncForm";

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } =
        [DiagnosticIds.SyncFormInSoftTasklet, DiagnosticIds.SyncFormInCalledAsyncMethod];

    /// <inheritdoc/>
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return;
        }

        foreach (var diagnostic in context.Diagnostics)
        {
            if (!diagnostic.Properties.TryGetValue(FixProperties.Fix, out var kind))
            {
                continue;
            }

            var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            if (Plan(kind, node, diagnostic) is not var (title, rewrite))
            {
                continue;
            }

            var document = context.Document;
            context.RegisterCodeFix(
                CodeAction.Create(
                    title,
                    cancellationToken => ApplyAsync(document, rewrite, cancellationToken),
                    equivalenceKey: EquivalenceKey),
                diagnostic);
        }
    }

    /// <summary>The title and the rewrite of the fix <paramref name="kind"/> at <paramref name="node"/>; null when it does not apply.</summary>
    private static (string Title, Func<SyntaxNode, SyntaxNode> Rewrite)? Plan(string? kind, SyntaxNode node, Diagnostic diagnostic)
    {
        switch (kind)
        {
            case FixProperties.ToAsyncForm when node.FirstAncestorOrSelf<InvocationExpressionSyntax>() is { } invocation &&
                                                diagnostic.Properties.TryGetValue(FixProperties.AsyncName, out var asyncName) && asyncName is not null:
                return ($"Use 'await {asyncName}'", root => root.ReplaceNode(invocation, ToAsyncForm(invocation, asyncName)));
            case FixProperties.AwaitArgument when node.FirstAncestorOrSelf<InvocationExpressionSyntax>() is { ArgumentList.Arguments.Count: > 0 } invocation:
                return ("Await the task", root => root.ReplaceNode(invocation, Await(invocation, invocation.ArgumentList.Arguments[0].Expression.WithoutTrivia())));
            case FixProperties.AwaitForeach when node.FirstAncestorOrSelf<CommonForEachStatementSyntax>() is { } loop:
                return ("Use 'await foreach'", root => root.ReplaceNode(loop, AwaitForeach(loop)));
            default:
                return null;
        }
    }

    private static async Task<Document> ApplyAsync(Document document, Func<SyntaxNode, SyntaxNode> rewrite, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        return root is null ? document : document.WithSyntaxRoot(rewrite(root));
    }

    /// <summary><c>x.Send(v)</c> → <c>await x.SendAsync(v)</c>, in parentheses where the result is used as a receiver.</summary>
    private static ExpressionSyntax ToAsyncForm(InvocationExpressionSyntax invocation, string asyncName)
    {
        var callee = invocation.Expression switch
        {
            MemberAccessExpressionSyntax member => member.WithName(Renamed(member.Name, asyncName)),
            SimpleNameSyntax name => Renamed(name, asyncName),
            var other => other,
        };
        return Await(invocation, invocation.WithExpression(callee).WithoutTrivia());
    }

    private static SimpleNameSyntax Renamed(SimpleNameSyntax name, string newName) =>
        name is GenericNameSyntax generic
            ? generic.WithIdentifier(Identifier(newName).WithTriviaFrom(generic.Identifier))
            : IdentifierName(Identifier(newName).WithTriviaFrom(name.Identifier));

    /// <summary><c>await <paramref name="awaited"/></c> in place of <paramref name="replaced"/>, keeping its trivia.</summary>
    private static ExpressionSyntax Await(ExpressionSyntax replaced, ExpressionSyntax awaited)
    {
        ExpressionSyntax result = AwaitExpression(Token(SyntaxKind.AwaitKeyword).WithTrailingTrivia(Space), awaited);
        if (IsReceiver(replaced))
        {
            result = ParenthesizedExpression(result);
        }

        return result.WithTriviaFrom(replaced);
    }

    /// <summary>Whether <paramref name="expression"/> is the receiver of a member access, call, index or postfix operator, which bind tighter than await.</summary>
    private static bool IsReceiver(ExpressionSyntax expression) => expression.Parent switch
    {
        MemberAccessExpressionSyntax member => member.Expression == expression,
        ConditionalAccessExpressionSyntax conditional => conditional.Expression == expression,
        ElementAccessExpressionSyntax element => element.Expression == expression,
        InvocationExpressionSyntax call => call.Expression == expression,
        PostfixUnaryExpressionSyntax => true,
        _ => false,
    };

    private static CommonForEachStatementSyntax AwaitForeach(CommonForEachStatementSyntax loop)
    {
        var keyword = loop.ForEachKeyword;
        return loop
            .WithForEachKeyword(keyword.WithLeadingTrivia())
            .WithAwaitKeyword(Token(keyword.LeadingTrivia, SyntaxKind.AwaitKeyword, TriviaList(Space)));
    }
}
