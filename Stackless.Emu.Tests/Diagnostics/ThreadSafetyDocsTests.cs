using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using System.Xml.Linq;

namespace Stackless.Emu.Tests.Diagnostics;

/// <summary>
/// Every public member of the library's packages states its thread-safety rule in its XML documentation
/// (<c>Thread safety: …</c>, as System.Threading.Channels does; docs/threading.md), on the member itself or once for
/// all members of its type. Members whose rule no caller chooses are left out: exception constructors, the members
/// the compiler calls for <c>await</c> and async method builders, and overrides of <see cref="object"/>'s members.
/// </summary>
public class ThreadSafetyDocsTests
{
    private const string Rule = "Thread safety";

    /// <summary>Members the compiler calls (awaiter and builder patterns): their rule is the await's, not the caller's.</summary>
    private static readonly HashSet<string> CompilerPatternMembers =
    [
        "GetAwaiter", "IsCompleted", "OnCompleted", "UnsafeOnCompleted", "GetResult",
        "Create", "Start", "SetStateMachine", "SetResult", "SetException", "AwaitOnCompleted", "AwaitUnsafeOnCompleted", "Task",
    ];

    /// <summary>The packages' assemblies, by name.</summary>
    private static readonly Dictionary<string, Assembly> Packages = new[]
    {
        typeof(Tasklet).Assembly,
        typeof(Stackless.Emu.Monkeypatch.Cooperative).Assembly,
        typeof(Stackless.Emu.Reactive.ChannelObservable).Assembly,
        typeof(Stackless.Emu.Logging.StacklessLogging).Assembly,
    }.ToDictionary(a => a.GetName().Name!, StringComparer.Ordinal);

    public static TheoryData<string> Assemblies() => [.. Packages.Keys];

    [Theory]
    [MemberData(nameof(Assemblies))]
    public void Every_public_member_states_its_thread_safety_rule(string assemblyName)
    {
        var assembly = Packages[assemblyName];
        var docs = LoadDocs(assembly);
        var missing = new List<string>();
        foreach (var type in assembly.GetExportedTypes().Where(t => !typeof(Exception).IsAssignableFrom(t) && !t.IsEnum && !IsDelegate(t)))
        {
            if (Documents(docs, "T:" + DocName(type)))
            {
                continue; // one rule for every member of the type
            }

            foreach (var member in type.GetMembers(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            {
                if (IsCallerFacing(member) && DocId(member) is { } id && !Documents(docs, id))
                {
                    missing.Add(id);
                }
            }
        }

        Assert.True(missing.Count == 0, $"{missing.Count} public members of {assemblyName} do not state their thread-safety rule (add <remarks>Thread safety: …</remarks> to the member, or once to its type):\n" + string.Join('\n', missing));
    }

    private static Dictionary<string, string> LoadDocs(Assembly assembly)
    {
        var path = Path.ChangeExtension(assembly.Location, ".xml");
        Assert.True(File.Exists(path), $"no XML documentation beside {assembly.Location}");
        return XDocument.Load(path).Descendants("member")
            .ToDictionary(m => (string)m.Attribute("name")!, m => m.Value, StringComparer.Ordinal);
    }

    private static bool Documents(Dictionary<string, string> docs, string id) =>
        docs.TryGetValue(id, out var text) && text.Contains(Rule, StringComparison.Ordinal);

    private static bool IsDelegate(Type type) => typeof(Delegate).IsAssignableFrom(type);

    private static bool IsCallerFacing(MemberInfo member)
    {
        if (member.IsDefined(typeof(CompilerGeneratedAttribute)) || CompilerPatternMembers.Contains(member.Name))
        {
            return false;
        }

        return member switch
        {
            ConstructorInfo c => (c.IsPublic || c.IsFamily) && !c.IsStatic,
            MethodInfo m => (m.IsPublic || m.IsFamily) && !m.IsSpecialName && m.GetBaseDefinition().DeclaringType != typeof(object) && !IsExplicitImplementation(m),
            PropertyInfo p => p.GetAccessors(nonPublic: false).Length > 0,
            EventInfo e => e.AddMethod is { IsPublic: true },
            _ => false,
        };
    }

    private static bool IsExplicitImplementation(MethodInfo method) => method.IsPrivate || method.Name.Contains('.', StringComparison.Ordinal);

    /// <summary>The documentation id of <paramref name="member"/> (ECMA-334 annex D), for the members checked here.</summary>
    private static string? DocId(MemberInfo member)
    {
        var type = DocName(member.DeclaringType!);
        return member switch
        {
            ConstructorInfo c => $"M:{type}.#ctor{Parameters(c)}",
            MethodInfo m => $"M:{type}.{m.Name}{(m.IsGenericMethod ? "``" + m.GetGenericArguments().Length : string.Empty)}{Parameters(m)}",
            PropertyInfo p => $"P:{type}.{p.Name}{(p.GetIndexParameters() is { Length: > 0 } index ? "(" + string.Join(',', index.Select(i => ParameterName(i.ParameterType, p.DeclaringType!, null))) + ")" : string.Empty)}",
            EventInfo e => $"E:{type}.{e.Name}",
            _ => null,
        };
    }

    private static string Parameters(MethodBase method)
    {
        var parameters = method.GetParameters();
        return parameters.Length == 0
            ? string.Empty
            : "(" + string.Join(',', parameters.Select(p => ParameterName(p.ParameterType, method.DeclaringType!, method as MethodInfo))) + ")";
    }

    private static string DocName(Type type) => (type.FullName ?? type.Name).Replace('+', '.');

    private static string ParameterName(Type type, Type declaring, MethodInfo? method)
    {
        if (type.IsByRef)
        {
            return ParameterName(type.GetElementType()!, declaring, method) + "@";
        }

        if (type.IsArray)
        {
            return ParameterName(type.GetElementType()!, declaring, method) + "[]";
        }

        if (type.IsPointer)
        {
            return ParameterName(type.GetElementType()!, declaring, method) + "*";
        }

        if (type.IsGenericParameter)
        {
            return type.DeclaringMethod is not null ? "``" + type.GenericParameterPosition : "`" + type.GenericParameterPosition;
        }

        if (type.IsGenericType)
        {
            var definition = type.GetGenericTypeDefinition();
            var name = new StringBuilder((definition.FullName ?? definition.Name).Replace('+', '.'));
            var tick = name.ToString().IndexOf('`', StringComparison.Ordinal);
            if (tick >= 0)
            {
                name.Length = tick;
            }

            return name + "{" + string.Join(',', type.GetGenericArguments().Select(a => ParameterName(a, declaring, method))) + "}";
        }

        return (type.FullName ?? type.Name).Replace('+', '.');
    }
}
