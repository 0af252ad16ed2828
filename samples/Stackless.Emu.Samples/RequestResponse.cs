using Stackless.Emu;

namespace Stackless.Emu.Samples;

/// <summary>The survey's request/response idiom: the reply channel travels inside the request.</summary>
internal static class RequestResponse
{
    public static void Run(TextWriter output)
    {
        var requests = new Channel<(string Name, Channel<string> Reply)>();

        async Task<string> RequestInterface(string message)
        {
            var reply = new Channel<string>();
            await requests.SendAsync((message, reply));
            return await reply.ReceiveAsync();
        }

        foreach (var name in new[] { "A", "B", "C", "D", "E" })
        {
            Tasklet.Spawn(async () => output.WriteLine(name + " " + await RequestInterface(name)));
        }

        var handler = Tasklet.Spawn(async () =>
        {
            await foreach (var (name, reply) in requests)
            {
                await reply.SendAsync("reply for request " + name + " received");
            }
        });

        Scheduler.Run();

        // As in Stackless, the handler is left waiting for the next request; end it so nothing is left behind.
        handler.Kill();
    }
}
