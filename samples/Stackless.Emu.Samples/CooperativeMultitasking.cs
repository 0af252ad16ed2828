using Stackless.Emu;

namespace Stackless.Emu.Samples;

/// <summary>The Tismer/Kruis talk's first example: a receiving, a sending and another tasklet.</summary>
internal static class CooperativeMultitasking
{
    public static void Run(TextWriter output)
    {
        var channel = new Channel<string>();

        Tasklet.Spawn(async () =>
        {
            output.WriteLine("Receiving tasklet started");
            output.WriteLine(await channel.ReceiveAsync());
            output.WriteLine("Receiving tasklet finished");
        });
        Tasklet.Spawn(async () =>
        {
            output.WriteLine("Sending tasklet started");
            await channel.SendAsync("send from sending_tasklet");
            output.WriteLine("sending tasklet finished");
        });
        Tasklet.Spawn(() =>
        {
            output.WriteLine("Just another tasklet in the scheduler");
            return Task.CompletedTask;
        });

        Scheduler.Run();
    }
}
