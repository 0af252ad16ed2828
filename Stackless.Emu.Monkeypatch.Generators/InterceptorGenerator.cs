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

    /// <summary>How many call sites this generator has bound since it was loaded (the tests prove none while off).</summary>
    private static long _boundCallSites;

    /// <summary>
    /// The redirected kinds: Kind → the full metadata name of its BCL type. A type deriving from one (FileStream) is
    /// redirected as that kind.
    /// </summary>
    internal static readonly IReadOnlyDictionary<string, string> Kinds = new Dictionary<string, string>
    {
        ["Thread"] = "System.Threading.Thread",
        ["Stream"] = "System.IO.Stream",
        ["Socket"] = "System.Net.Sockets.Socket",
        ["Process"] = "System.Diagnostics.Process",
    };

    /// <summary>
    /// Supported methods: "Kind.Name(parameter types)", each redirected to the Redirect overload with the same name and
    /// parameters (after the receiver, for instance methods). A test checks each against Redirect's overloads.
    /// </summary>
    internal static readonly HashSet<string> Supported = new()
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

    /// <summary>The method names of <see cref="Supported"/>: the syntactic filter for candidate call sites.</summary>
    private static readonly HashSet<string> Names = new(Supported.Select(entry => entry.Substring(entry.IndexOf('.') + 1, entry.IndexOf('(') - entry.IndexOf('.') - 1)));

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var enabled = context.AnalyzerConfigOptionsProvider.Select(static (options, _) =>
            options.GlobalOptions.TryGetValue("build_property.StacklessMonkeypatch", out var value) &&
            string.Equals(value?.Trim(), "true", System.StringComparison.OrdinalIgnoreCase));

        // Syntax only: which invocations could be redirected, by method name. Nothing is bound here.
        var candidates = context.SyntaxProvider.CreateSyntaxProvider(
                static (node, _) => node is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax member } &&
                                    Names.Contains(member.Name.Identifier.ValueText),
                static (syntaxContext, _) => (InvocationExpressionSyntax)syntaxContext.Node)
            .WithTrackingName("StacklessMonkeypatch.Candidates");

        // Binding, only while the feature is on: with StacklessMonkeypatch off the candidates never reach the semantic
        // model. The price when on: the candidates are bound again whenever the compilation changes (one semantic
        // model per file), since the gate needs the compilation as an input rather than each node's own model.
        var sites = candidates
            .Combine(enabled)
            .Where(static pair => pair.Right)
            .Select(static (pair, _) => pair.Left)
            .Collect()
            .Combine(context.CompilationProvider)
            .SelectMany(static (input, cancellationToken) => Bind(input.Right, input.Left, cancellationToken))
            .WithTrackingName("StacklessMonkeypatch.Binding")
            .Collect();

        context.RegisterSourceOutput(sites, static (production, input) =>
        {
            if (input.IsDefaultOrEmpty)
            {
                return;
            }

            production.AddSource("StacklessMonkeypatch.Interceptors.g.cs", Emit(input));
        });
    }

    /// <summary>How many call sites have been bound (given to the semantic model) since the generator was loaded.</summary>
    internal static long BoundCallSites => System.Threading.Interlocked.Read(ref _boundCallSites);

    /// <summary>The redirectable call sites among <paramref name="invocations"/>, with one semantic model per file.</summary>
    private static ImmutableArray<CallSite> Bind(Compilation compilation, ImmutableArray<InvocationExpressionSyntax> invocations, System.Threading.CancellationToken cancellationToken)
    {
        var sites = ImmutableArray.CreateBuilder<CallSite>();
        foreach (var file in invocations.GroupBy(invocation => invocation.SyntaxTree))
        {
            var model = compilation.GetSemanticModel(file.Key);
            foreach (var invocation in file)
            {
                if (Describe(model, invocation, cancellationToken) is { } site)
                {
                    sites.Add(site);
                }
            }
        }

        return sites.ToImmutable();
    }

    private static CallSite? Describe(SemanticModel semanticModel, InvocationExpressionSyntax invocation, System.Threading.CancellationToken cancellationToken)
    {
        System.Threading.Interlocked.Increment(ref _boundCallSites);
        if (semanticModel.GetSymbolInfo(invocation, cancellationToken).Symbol is not IMethodSymbol method ||
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
        var location = semanticModel.GetInterceptableLocation(invocation, cancellationToken);
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
            var name = t.ToDisplayString();
            foreach (var kind in Kinds)
            {
                if (kind.Value == name)
                {
                    return kind.Key;
                }
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
