using Stackless.Emu.Samples;

var which = args.Length > 0 ? args[0] : "all";
var output = Console.Out;

void Section(string title)
{
    if (which == "all")
    {
        output.WriteLine($"== {title} ==");
    }
}

var ran = false;
if (which is "all" or "cooperative")
{
    Section("cooperative multitasking");
    CooperativeMultitasking.Run(output);
    ran = true;
}

if (which is "all" or "schedule")
{
    Section("numbers and letters");
    NumbersAndLetters.Run(output);
    ran = true;
}

if (which is "all" or "first-second")
{
    Section("first and second");
    FirstAndSecond.Run(output);
    ran = true;
}

if (which is "all" or "request-response")
{
    Section("request/response");
    RequestResponse.Run(output);
    ran = true;
}

if (which is "all" or "preference")
{
    Section("channel preference -1");
    Preferences.Run(output, -1);
    Section("channel preference 1");
    Preferences.Run(output, 1);
    ran = true;
}

if (which is "all" or "sieve")
{
    Section("prime sieve");
    var limit = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 100;
    PrimeSieve.Run(output, limit);
    ran = true;
}

if (which == "scale-out")
{
    // Not part of "all": it measures. Usage: scale-out [limit] [max threads]
    var limit = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 20_000;
    var maxThreads = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : Environment.ProcessorCount;
    ScaleOutSieve.Run(1_000, 1); // warm-up
    TimeSpan? single = null;
    for (var threads = 1; threads <= maxThreads; threads *= 2)
    {
        var result = ScaleOutSieve.Run(limit, threads);
        single ??= result.Elapsed;
        output.WriteLine(System.FormattableString.Invariant(
            $"{threads} thread(s): {result.Primes} primes up to {limit} (largest {result.Largest}) in {result.Elapsed.TotalMilliseconds:F0} ms, speed-up {single.Value / result.Elapsed:F2}x"));
    }

    ran = true;
}

if (which is "all" or "deadlock")
{
    Section("deadlock");
    Deadlock.Run(output);
    ran = true;
}

if (!ran)
{
    Console.Error.WriteLine("usage: samples [all|cooperative|schedule|first-second|request-response|preference|sieve [limit]|deadlock|scale-out [limit] [max threads]]");
    return 2;
}

return 0;
