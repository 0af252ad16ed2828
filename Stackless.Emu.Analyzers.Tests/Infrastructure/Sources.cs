namespace Stackless.Emu.Analyzers.Tests.Infrastructure;

/// <summary>Builds the code under test: a class whose members use the library, with the usual namespaces imported.</summary>
internal static class Sources
{
    private const string Usings = """
        using System;
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using Stackless.Emu;

        """;

    /// <summary>A class C holding <paramref name="members"/>.</summary>
    public static string Class(string members) => Usings + "class C\n{\n" + members + "\n}\n";

    /// <summary>
    /// A method of C with a channel <c>ch</c>, an untyped channel <c>untyped</c>, a tasklet <c>t</c>, a task <c>task</c>,
    /// a task with a result <c>result</c>, a value task <c>value</c> and a scheduler thread <c>thread</c> in scope, whose
    /// body is <paramref name="body"/>.
    /// </summary>
    public static string Method(string body, string otherMembers = "") => Class($$"""
            void M(Channel<int> ch, Channel untyped, Tasklet t, Task task, Task<int> result, ValueTask<int> value, SchedulerThread thread, bool flag)
            {
        {{body}}
            }
        {{otherMembers}}
        """);

    /// <summary><see cref="Method"/> with <paramref name="statements"/> inside <c>Tasklet.Spawn(async () => { ... })</c>.</summary>
    public static string InSoftTasklet(string statements, string otherMembers = "") => Method($$"""
                Tasklet.Spawn(async () =>
                {
                    {{statements}}
                    await Task.Yield();
                });
        """, otherMembers);
}
