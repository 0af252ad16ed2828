using ClusterEcho;
using Stackless.Emu;
using Stackless.Emu.Orleans;

// dotnet run --project samples/ClusterEcho            two silos, an echo tasklet on A, a client tasklet on B; the echo
//                                                     moves to B halfway through and keeps counting
// dotnet run -c Release --project samples/ClusterEcho -- bench [--quick]    measures and rewrites docs/distributed.md
if (args.Length > 0 && args[0] == "bench")
{
    return await Bench.RunAsync(args[1..]);
}

await using var silos = await TwoSilos.StartAsync();
Console.WriteLine($"silo A: {silos.A}");
Console.WriteLine($"silo B: {silos.B}");

var requests = new DistributedChannel<string>("echo-requests");
var replies = new DistributedChannel<string>("echo-replies");
await silos.Tasklets.SpawnAsync("echo", () => Tasklets.Echo(requests, replies), on: silos.A);
await silos.Tasklets.SpawnAsync("client", () => Tasklets.Client(requests, replies, 10), on: silos.B);

await Tasklets.WaitForRepliesAsync(5);
Console.WriteLine("-- moving the echo tasklet to silo B while the client keeps asking --");
var now = await silos.Tasklets.MigrateAsync("echo", silos.B);
Console.WriteLine($"-- the echo tasklet now runs on {now} --");
await Tasklets.WaitForRepliesAsync(10);

Console.WriteLine();
Console.WriteLine((await silos.Tasklets.DescribeAsync()).ToString());
await silos.Tasklets.KillAsync("echo");
return 0;

namespace ClusterEcho
{
    /// <summary>The sample's tasklets: an echo that counts in its own frame, and a client.</summary>
    internal static class Tasklets
    {
        private static readonly SemaphoreSlim Replies = new(0);

        /// <summary>Answers each request with the request and a count kept in its frame (it travels with the tasklet).</summary>
        public static async TaskletFrame Echo(IRendezvousChannel<string> requests, IRendezvousChannel<string> replies)
        {
            var count = 0;
            while (true)
            {
                var request = await requests.ReceiveAsync();
                count++;
                await replies.SendAsync($"{request} -> echo #{count} from group {TaskletGroup.CurrentName}");
            }
        }

        /// <summary>Sends <paramref name="count"/> requests and prints each reply.</summary>
        public static async TaskletFrame Client(IRendezvousChannel<string> requests, IRendezvousChannel<string> replies, int count)
        {
            for (var i = 1; i <= count; i++)
            {
                await requests.SendAsync($"hello {i}");
                Console.WriteLine(await replies.ReceiveAsync());
                Replies.Release();
            }
        }

        /// <summary>Waits until <paramref name="total"/> replies were printed since the start.</summary>
        public static async Task WaitForRepliesAsync(int total)
        {
            while (s_seen < total)
            {
                if (!await Replies.WaitAsync(TimeSpan.FromSeconds(60)))
                {
                    throw new TimeoutException("No reply within 60 s.");
                }

                s_seen++;
            }
        }

        private static int s_seen;
    }
}
