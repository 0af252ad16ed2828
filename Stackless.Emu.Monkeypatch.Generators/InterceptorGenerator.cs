using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Stackless.Emu.Monkeypatch.Generators;

/// <summary>
/// Rewrites call sites of blocking BCL methods (Thread.Sleep, Stream.Read/Write, Socket.Receive/Send/Accept/Connect,
/// Process.WaitForExit) in the consuming project to Stackless.Emu.Monkeypatch.Redirect, with C# interceptors, when the
/// project sets the MSBuild property StacklessMonkeypatch to true (made visible with
/// &lt;CompilerVisibleProperty Include="StacklessMonkeypatch" /&gt;). The project must also add
/// Stackless.Emu.Monkeypatch.Generated to InterceptorsNamespaces.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class InterceptorGenerator : IIncrementalGenerator
{
    private const string GeneratedNamespace = "Stackless.Emu.Monkeypatch.Generated";

    private static readonly HashSet<string> Names = new() { "Sleep", "Read", "Write", "Receive", "Send", "Accept", "Connect", "WaitForExit" };

    /// <summary>Supported methods: "Kind.Name(parameter types)".</summary>
    private static readonly HashSet<string> Supported = new()
    {
        "Thread.Sleep(int)",
        "Thread.Sleep(System.TimeSpan)",
        "Stream.Read(byte[], int, int)",
        "Stream.Read(System.Span<byte>)",
        "Stream.Write(byte[], int, int)",
        "Stream.Write(System.ReadOnlySpan<byte>)",
        "Socket.Receive(byte[])",
        "Socket.Receive(byte[], int, int, System.Net.Sockets.SocketFlags)",
        "Socket.Receive(System.Span<byte>)",
        "Socket.Send(byte[])",
        "Socket.Send(byte[], int, int, System.Net.Sockets.SocketFlags)",
        "Socket.Send(System.ReadOnlySpan<byte>)",
        "Socket.Accept()",
        "Socket.Connect(System.Net.EndPoint)",
        "Socket.Connect(System.Net.IPAddress, int)",
        "Process.WaitForExit()",
        "Process.WaitForExit(int)",
    };

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var enabled = context.AnalyzerConfigOptionsProvider.Select(static (options, _) =>
            options.GlobalOptions.TryGetValue("build_property.StacklessMonkeypatch", out var value) &&
            string.Equals(value?.Trim(), "true", System.StringComparison.OrdinalIgnoreCase));

        var sites = context.SyntaxProvider.CreateSyntaxProvider(
                static (node, _) => node is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax member } &&
                                    Names.Contains(member.Name.Identifier.ValueText),
                static (syntaxContext, cancellationToken) => Describe(syntaxContext, cancellationToken))
            .Where(static site => site is not null)
            .Select(static (site, _) => site!)
            .Collect();

        context.RegisterSourceOutput(enabled.Combine(sites), static (production, input) =>
        {
            if (!input.Left || input.Right.IsDefaultOrEmpty)
            {
                return;
            }

            production.AddSource("StacklessMonkeypatch.Interceptors.g.cs", Emit(input.Right));
        });
    }

    private static CallSite? Describe(GeneratorSyntaxContext context, System.Threading.CancellationToken cancellationToken)
    {
        var invocation = (InvocationExpressionSyntax)context.Node;
        if (context.SemanticModel.GetSymbolInfo(invocation, cancellationToken).Symbol is not IMethodSymbol method ||
            method.IsGenericMethod || method.MethodKind != MethodKind.Ordinary)
        {
            return null;
        }

        var kind = KindOf(method.ContainingType);
        if (kind is null)
        {
            return null;
        }

        var parameters = string.Join(", ", method.Parameters.Select(p => p.Type.ToDisplayString()));
        if (method.Parameters.Any(p => p.RefKind != RefKind.None || p.IsParams) || !Supported.Contains($"{kind}.{method.Name}({parameters})"))
        {
            return null;
        }

#pragma warning disable RSEXPERIMENTAL002 // Interceptable locations are stable in the SDK's compiler.
        var location = context.SemanticModel.GetInterceptableLocation(invocation, cancellationToken);
#pragma warning restore RSEXPERIMENTAL002
        if (location is null)
        {
            return null;
        }

        var fq = SymbolDisplayFormat.FullyQualifiedFormat;
        return new CallSite(
            Key: method.ContainingType.ToDisplayString(fq) + "." + method.Name + "(" + parameters + ")" + (method.IsStatic ? " static" : string.Empty),
            IsStatic: method.IsStatic,
            Name: method.Name,
            ReceiverType: method.ContainingType.ToDisplayString(fq),
            ReturnType: method.ReturnsVoid ? "void" : method.ReturnType.ToDisplayString(fq),
            Parameters: string.Join(", ", method.Parameters.Select((p, i) => $"{p.Type.ToDisplayString(fq)} p{i}")),
            Arguments: string.Join(", ", method.Parameters.Select((_, i) => $"p{i}")),
            Attribute: location.GetInterceptsLocationAttributeSyntax());
    }

    /// <summary>Thread, Stream, Socket or Process, for the types whose calls are redirected; null otherwise.</summary>
    private static string? KindOf(INamedTypeSymbol type)
    {
        if (type.ContainingNamespace?.ToDisplayString().StartsWith("Stackless.Emu", System.StringComparison.Ordinal) == true)
        {
            return null;
        }

        for (var t = type; t is not null; t = t.BaseType)
        {
            switch (t.ToDisplayString())
            {
                case "System.Threading.Thread":
                    return "Thread";
                case "System.IO.Stream":
                    return "Stream";
                case "System.Net.Sockets.Socket":
                    return "Socket";
                case "System.Diagnostics.Process":
                    return "Process";
            }
        }

        return null;
    }

    private static string Emit(ImmutableArray<CallSite> sites)
    {
        var text = new StringBuilder();
        text.AppendLine("// <auto-generated/> Stackless.Emu.Monkeypatch.Generators: blocking calls redirected to cooperative ones.")
            .AppendLine("#nullable enable")
            .AppendLine("namespace System.Runtime.CompilerServices")
            .AppendLine("{")
            .AppendLine("    [global::System.AttributeUsage(global::System.AttributeTargets.Method, AllowMultiple = true)]")
            .AppendLine("    file sealed class InterceptsLocationAttribute : global::System.Attribute")
            .AppendLine("    {")
            .AppendLine("        public InterceptsLocationAttribute(int version, string data) { }")
            .AppendLine("    }")
            .AppendLine("}")
            .AppendLine()
            .AppendLine($"namespace {GeneratedNamespace}")
            .AppendLine("{")
            .AppendLine("    [global::System.CodeDom.Compiler.GeneratedCode(\"Stackless.Emu.Monkeypatch.Generators\", \"1.0\")]")
            .AppendLine("    file static class StacklessInterceptors")
            .AppendLine("    {");
        var index = 0;
        foreach (var group in sites.GroupBy(s => s.Key).OrderBy(g => g.Key, System.StringComparer.Ordinal))
        {
            var first = group.First();
            foreach (var site in group)
            {
                text.Append("        ").AppendLine(site.Attribute);
            }

            var receiver = first.IsStatic ? string.Empty : $"this {first.ReceiverType} self" + (first.Parameters.Length > 0 ? ", " : string.Empty);
            var arguments = first.IsStatic ? first.Arguments : "self" + (first.Arguments.Length > 0 ? ", " + first.Arguments : string.Empty);
            var call = $"global::Stackless.Emu.Monkeypatch.Redirect.{first.Name}({arguments})";
            text.AppendLine($"        public static {first.ReturnType} {first.Name}_{index++}({receiver}{first.Parameters}) => {call};")
                .AppendLine();
        }

        text.AppendLine("    }").AppendLine("}");
        return text.ToString();
    }

    private sealed record CallSite(
        string Key,
        bool IsStatic,
        string Name,
        string ReceiverType,
        string ReturnType,
        string Parameters,
        string Arguments,
        string Attribute);
}
