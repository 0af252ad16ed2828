using System.Diagnostics;
using System.Globalization;

/// <summary>The server/client protocol over the child's standard streams, and how to start the child.</summary>
internal static class Protocol
{
    public const int MessageSize = 64;

    /// <summary>This program again, with "client port connections roundTrips".</summary>
    public static ProcessStartInfo ClientStartInfo(int port, int connections, int roundTrips)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("The path of this executable is unknown.");
        var info = new ProcessStartInfo(self)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            // Started as 'dotnet EchoServer.dll': start the child the same way.
            info.ArgumentList.Add(typeof(Protocol).Assembly.Location);
        }

        foreach (var argument in new object[] { "client", port, connections, roundTrips }.Select(a => Convert.ToString(a, CultureInfo.InvariantCulture)!))
        {
            info.ArgumentList.Add(argument);
        }

        return info;
    }

    public static string Format(string kind, long count, long errors, TimeSpan elapsed) =>
        string.Create(CultureInfo.InvariantCulture, $"{kind} {count} {errors} {elapsed.TotalSeconds:R}");

    public static Report Parse(string? line, string kind)
    {
        var parts = line?.Split(' ');
        if (parts is not { Length: 4 } || parts[0] != kind)
        {
            throw new InvalidOperationException($"The load client sent '{line}' where '{kind} ...' was expected.");
        }

        return new Report(
            long.Parse(parts[1], CultureInfo.InvariantCulture),
            long.Parse(parts[2], CultureInfo.InvariantCulture),
            double.Parse(parts[3], CultureInfo.InvariantCulture));
    }
}

