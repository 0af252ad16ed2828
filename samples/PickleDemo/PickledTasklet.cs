using Stackless.Emu;

namespace Stackless.Emu.Samples.PickleDemo;

/// <summary>The seed's pickledtasklet.py: a recursion whose frames are restorable <see cref="TaskletFrame"/> methods.</summary>
internal static class PickledTasklet
{
    private static readonly Channel<string> Ch = new();

    /// <summary>Stackless's <c>recurs(depth, level=1)</c>.</summary>
    public static async TaskletFrame Recurs(int depth, int level = 1)
    {
        Console.WriteLine($"enter level {new string(' ', level * 2)}{level}");
        if (level >= depth)
        {
            await Ch.SendAsync("hi");
        }

        if (level < depth)
        {
            await Recurs(depth, level + 1);
        }

        Console.WriteLine($"leave level {new string(' ', level * 2)}{level}");
    }

    /// <summary>Stackless's <c>demo(depth)</c>: receives "hi" from the bottom of the recursion and pickles the recursing tasklet.</summary>
    public static async Task Demo(int depth, string file)
    {
        var t = Tasklet.SpawnFrame(() => Recurs(depth));
        Console.WriteLine(await Ch.ReceiveAsync());
        await using var stream = File.Create(file);
        t.Dump(stream);
    }

    /// <summary>Names this assembly for <see cref="PickleOptions.AllowAssemblyOf{T}"/>.</summary>
    internal sealed class Marker;
}
