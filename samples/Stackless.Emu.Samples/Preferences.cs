using Stackless.Emu;

namespace Stackless.Emu.Samples;

/// <summary>The survey's channel preference example: -1 prefers the receiver, 1 the sender.</summary>
internal static class Preferences
{
    public static void Run(TextWriter output, int preference)
    {
        var channel = new Channel<int> { Preference = preference };
        var printed = new List<string>();

        Tasklet.Spawn(async () =>
        {
            while (true)
            {
                var i = await channel.ReceiveAsync();
                printed.Add("P" + i);
            }
        });
        for (var i = 0; i < 10; i++)
        {
            var value = i;
            Tasklet.Spawn(async () =>
            {
                await channel.SendAsync(value);
                printed.Add("R" + value);
            });
        }

        Scheduler.Run();
        output.WriteLine(string.Join(' ', printed));

        // The receiver is still blocked on the channel; end it so nothing is left behind.
        channel.Queue!.Kill();
    }
}
