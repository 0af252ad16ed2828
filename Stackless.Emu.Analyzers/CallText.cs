using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace Stackless.Emu.Analyzers;

/// <summary>How messages write a call: short, in the user's own words where they are short enough.</summary>
internal static class CallText
{
    private const int MaxReceiverLength = 40;

    /// <summary>"Channel.Send()": the declaring type's name and the method.</summary>
    public static string Method(IMethodSymbol method) => method.ContainingType.Name + "." + method.Name + "()";

    /// <summary>
    /// The call with another method name, as the user would write it: "ch.SendAsync(...)", "Scheduler.ScheduleAsync()";
    /// a long receiver is replaced by its type's name in camel case ("channel.SendAsync(...)").
    /// </summary>
    public static string Call(IInvocationOperation invocation, string name) =>
        Callee(invocation, name) + (invocation.TargetMethod.Parameters.Length == 0 ? "()" : "(...)");

    /// <summary>The receiver and a method name, as <see cref="Call"/> writes them, without the argument list: "ch.SendAsync".</summary>
    public static string Callee(IInvocationOperation invocation, string name) => Receiver(invocation) + name;

    /// <summary>An expression as written, or <paramref name="fallback"/> when it is long or spans lines.</summary>
    public static string Source(IOperation operation, string fallback)
    {
        var text = operation.Syntax.ToString();
        return text.Length <= MaxReceiverLength && text.IndexOf('\n') < 0 ? text : fallback;
    }

    private static string Receiver(IInvocationOperation invocation)
    {
        var method = invocation.TargetMethod;
        if (method.IsStatic)
        {
            return method.ContainingType.Name + ".";
        }

        var instance = invocation.Instance;
        if (instance is null || instance.IsImplicit)
        {
            return string.Empty;
        }

        var typeName = method.ContainingType.Name;
        return Source(instance, char.ToLowerInvariant(typeName[0]) + typeName.Substring(1)) + ".";
    }
}
