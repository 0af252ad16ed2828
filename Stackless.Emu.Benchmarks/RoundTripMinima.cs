using System.Diagnostics;
using System.Globalization;

namespace Stackless.Emu.Benchmarks;

/// <summary>
/// The soft-to-soft ping-pong of <see cref="RoundTripBenchmarks"/> as many short samples, reporting the least disturbed
/// ones (minimum, 10th percentile): on a machine shared with other work a mean says more about the neighbours than about
/// the code, while the fastest samples of alternated runs still compare two builds (docs/benchmarks.md, "Cost of the
/// metrics counters").
/// </summary>
internal static class RoundTripMinima
{
    private const int RoundTripsPerSample = 20_000;

    public static int Run(string[] args)
    {
        var samples = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 600;
        Channel<int> request = new(), reply = new(), start = new(), done = new();
        Tasklet.Spawn(() => RoundTripBenchmarks.Echo(request, reply));
        Tasklet.Spawn(async () =>
        {
            while (true)
            {
                var n = await start.ReceiveAsync();
                for (var i = 0; i < n; i++)
                {
                    await request.SendAsync(i);
                    _ = await reply.ReceiveAsync();
                }

                await done.SendAsync(0);
            }
        });
        Scheduler.Run();
        for (var i = 0; i < 5; i++)
        {
            start.Send(RoundTripsPerSample); // warm-up: tiered compilation settles
            done.Receive();
        }

        var perRoundTrip = new double[samples];
        for (var s = 0; s < samples; s++)
        {
            var t = Stopwatch.GetTimestamp();
            start.Send(RoundTripsPerSample);
            done.Receive();
            perRoundTrip[s] = Stopwatch.GetElapsedTime(t).TotalNanoseconds / RoundTripsPerSample;
        }

        Array.Sort(perRoundTrip);
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"soft-soft round trip: min {perRoundTrip[0]:F1} ns, p10 {perRoundTrip[samples / 10]:F1} ns, median {perRoundTrip[samples / 2]:F1} ns ({samples} samples of {RoundTripsPerSample})"));
        foreach (var tasklet in Scheduler.AliveTasklets().Where(t => !t.IsMain))
        {
            tasklet.Kill();
        }

        return 0;
    }
}
