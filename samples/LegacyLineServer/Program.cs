// LegacyLineServer: 1,000 concurrent loopback clients served on ONE scheduler thread by unmodified blocking code
// (StreamReader.ReadLine / StreamWriter.WriteLine) running in hard tasklets over CooperativeStream. Each blocking
// read suspends only its own tasklet; the clients are soft tasklets on the same scheduler.
//
// Usage: dotnet run --project samples/LegacyLineServer [clients] [requestsPerClient]
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Stackless.Emu;
using Stackless.Emu.Monkeypatch;

var clients = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1000;
var requestsPerClient = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10;

// Never hang: the sample ends by itself, with an error if something went wrong.
using var watchdog = new Timer(
    _ =>
    {
        Console.Error.WriteLine("LegacyLineServer: did not finish within 120 s; " + "giving up.");
        Environment.Exit(2);
    },
    null,
    TimeSpan.FromSeconds(120),
    Timeout.InfiniteTimeSpan);

ThreadPool.SetMinThreads(Math.Max(Environment.ProcessorCount, 8), 8);
StacklessSettings.HardTaskletStackSize = 256 * 1024; // 1,000 threads x 256 KB of reserved stack
using var listener = new CooperativeTcpListener(IPAddress.Loopback, 0);
listener.Start(backlog: 2048);
var port = listener.Port;

var watch = Stopwatch.StartNew();
var goodReplies = 0;
var badReplies = 0;
var served = 0;
var peakConnections = 0;
var openConnections = 0;

// Clients: soft tasklets speaking the line protocol asynchronously.
for (var c = 0; c < clients; c++)
{
    var id = c;
    Tasklet.Spawn(async () =>
    {
        using var client = new CooperativeTcpClient { NoDelay = true };
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        using var reader = new StreamReader(stream, leaveOpen: true);
        await using var writer = new StreamWriter(stream, leaveOpen: true) { AutoFlush = true, NewLine = "\n" };
        for (var r = 0; r < requestsPerClient; r++)
        {
            await writer.WriteLineAsync($"ADD {id} {r}");
            var reply = await reader.ReadLineAsync();
            if (reply == (id + r).ToString(CultureInfo.InvariantCulture))
            {
                goodReplies++;
            }
            else
            {
                badReplies++;
            }
        }

        await writer.WriteLineAsync("QUIT");
        if (await reader.ReadLineAsync() != "BYE")
        {
            badReplies++;
        }
    });
}

// Server: main accepts with the blocking-style API; one hard tasklet per connection runs legacy blocking code.
for (var c = 0; c < clients; c++)
{
    var connection = listener.AcceptTcpClient();
    Tasklet.SpawnHard(() =>
    {
        openConnections++;
        peakConnections = Math.Max(peakConnections, openConnections);
        try
        {
            LegacyHandler.Serve(connection.GetStream());
        }
        finally
        {
            connection.Dispose();
            openConnections--;
            served++;
        }
    });
}

Scheduler.Run();
watch.Stop();
var requests = goodReplies + badReplies;
Console.WriteLine(
    $"LegacyLineServer: {served} connections served by hard tasklets on one scheduler thread " +
    $"(peak {peakConnections} open at once), {requests} requests, {goodReplies} correct replies, {badReplies} wrong; " +
    $"elapsed {watch.Elapsed.TotalSeconds:F2} s ({requests / watch.Elapsed.TotalSeconds:F0} requests/s).");
return served == clients && badReplies == 0 && goodReplies == clients * requestsPerClient ? 0 : 1;

/// <summary>Legacy code, unchanged: a blocking line protocol written against Stream/StreamReader/StreamWriter.</summary>
internal static class LegacyHandler
{
    public static void Serve(Stream stream)
    {
        using var reader = new StreamReader(stream);
        using var writer = new StreamWriter(stream) { AutoFlush = true, NewLine = "\n" };
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            var parts = line.Split(' ');
            if (parts[0] == "QUIT")
            {
                writer.WriteLine("BYE");
                return;
            }

            var sum = int.Parse(parts[1], CultureInfo.InvariantCulture) + int.Parse(parts[2], CultureInfo.InvariantCulture);
            writer.WriteLine(sum.ToString(CultureInfo.InvariantCulture));
        }
    }
}
