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

if (which is "all" or "deadlock")
{
    Section("deadlock");
    Deadlock.Run(output);
    ran = true;
}

if (!ran)
{
    Console.Error.WriteLine("usage: samples [all|cooperative|schedule|first-second|request-response|preference|sieve [limit]|deadlock]");
    return 2;
}

return 0;
