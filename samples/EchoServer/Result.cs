using System.Globalization;

/// <summary>What one server measured: connections open at once, its fds, the client's reports, its CPU in the echo phase.</summary>
/// <param name="Label">The server's name, as printed.</param>
/// <param name="SchedulerThreads">The scheduler threads serving the connections (0: none, plain async/await).</param>
/// <param name="Connections">Connections open in the server at once.</param>
/// <param name="ServerFds">File descriptors of the server process at that moment.</param>
/// <param name="Connected">The client's report of the connect phase.</param>
/// <param name="Done">The client's report of the echo phase.</param>
/// <param name="ServerCpuSeconds">CPU time of the server process (every thread) during the echo phase.</param>
/// <param name="ClientExitCode">The load client's exit code.</param>
/// <param name="LoadAverage">The machine's 1-minute load average just before this server started (others' work shows here).</param>
/// <param name="Profile">Where the server's CPU went in the echo phase, by thread group (see <see cref="ThreadProfile"/>).</param>
internal sealed record Result(
    string Label,
    int SchedulerThreads,
    int Connections,
    int ServerFds,
    Report Connected,
    Report Done,
    double ServerCpuSeconds,
    int ClientExitCode,
    double LoadAverage,
    string Profile)
{
    public long RoundTrips => Done.Count;

    public double RoundTripsPerSecond => Done.Count / Done.Seconds;

    /// <summary>Server CPU per round trip, in microseconds.</summary>
    public double CpuPerRoundTripMicroseconds => Done.Count == 0 ? 0 : ServerCpuSeconds * 1e6 / Done.Count;

    public long Errors => Connected.Errors + Done.Errors;

    public bool Ok => Errors == 0 && Done.Count > 0 && ClientExitCode == 0;

    public string Describe() =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"{Label,-44} {Connections,6} connections (server fds {ServerFds}), connect {Connected.Seconds:F2} s; " +
            $"{RoundTrips} round trips in {Done.Seconds:F2} s = {RoundTripsPerSecond,7:F0} round trips/s; " +
            $"server CPU {ServerCpuSeconds:F2} s = {CpuPerRoundTripMicroseconds:F1} us/round trip; errors {Errors}; load average {LoadAverage:F2}.");
}

/// <summary>A line of the client's report: "connected|done count errors seconds".</summary>
internal sealed record Report(long Count, long Errors, double Seconds);

/// <summary>The machine's load, read beside every figure (the machine may be shared).</summary>
internal static class LoadAverage
{
    /// <summary>The 1-minute load average (Linux), or -1.</summary>
    public static double Read()
    {
        try
        {
            return double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return -1;
        }
    }
}
