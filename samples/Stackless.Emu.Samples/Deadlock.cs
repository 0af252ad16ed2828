using Stackless.Emu;

namespace Stackless.Emu.Samples;

/// <summary>
/// The survey's deadlock example: A waits on ch1 before sending on ch2, B waits on ch2 before sending on ch1.
/// <c>Run()</c> returns with both blocked; the dump shows balances -1/-1 and who waits where.
/// </summary>
internal static class Deadlock
{
    public static void Run(TextWriter output)
    {
        var ch1 = new Channel<string> { Name = "CH1" };
        var ch2 = new Channel<string> { Name = "CH2" };

        async Task Task(string name, Channel<string> x, Channel<string> y, string message)
        {
            output.WriteLine("tasklet " + name);
            output.WriteLine(await x.ReceiveAsync());
            await y.SendAsync(message);
        }

        var a = new Tasklet(() => Task("A", ch1, ch2, "Tasklet A sending message")) { Name = "A" }.Setup();
        var b = new Tasklet(() => Task("B", ch2, ch1, "Tasklet B sending message")) { Name = "B" }.Setup();
        Scheduler.Run();

        output.WriteLine(Dump(ch1));
        output.WriteLine(Dump(ch2));

        a.Kill();
        b.Kill();
    }

    private static string Dump(Channel<string> channel) =>
        $"({channel.Name}, (), ({channel.Balance}, [{string.Join(", ", Waiting(channel))}]))";

    private static IEnumerable<string> Waiting(Channel<string> channel)
    {
        for (var t = channel.Queue; t is not null; t = t.Next)
        {
            yield return t.Name ?? "?";
        }
    }
}
