using Stackless.Emu;

namespace Stackless.Emu.Samples;

/// <summary>The survey's channel example: two tasklets exchanging a message each way over one channel.</summary>
internal static class FirstAndSecond
{
    public static void Run(TextWriter output)
    {
        var channel = new Channel<string>();

        Tasklet.Spawn(async () =>
        {
            var message = await channel.ReceiveAsync();
            output.WriteLine(message);
            await channel.SendAsync("second received message");
        });
        Tasklet.Spawn(async () =>
        {
            await channel.SendAsync("first always starts");
            output.WriteLine(await channel.ReceiveAsync());
        });

        Scheduler.Run();
    }
}
